"""What the fake assumes about Google without a Google page to cite, for the README.

Each behaviour the fake models cites Google's documentation where it is implemented. The
ones below have no such page (or only a third-party report): the code marks each with
`UNCONFIRMED` or "ASSUMPTION", and lists it here. The live check (`mapctl google-smoke`)
is where a real project confirms or corrects them.
"""

from __future__ import annotations

from tests.assumption_table import Assumption, table

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "a merge blocks an array",
        "A merged range that covers any cell an ARRAYFORMULA would fill blocks it: the "
        "formula's cell shows #REF!, as a typed value there does; merging keeps only the "
        "top-left value.",
        "Sheets documents the #REF! for data in the way ('Array result was not expanded') "
        "and the top-left rule for merges in its UI, not a merge over a spill range.",
    ),
    Assumption(
        "version step",
        "Each change to a file raises File.version by a random 1..3 (seeded; "
        "FakeGoogle.version_step = 1 gives exact steps).",
        "The File reference only says version is monotonically increasing and reflects "
        "every change; the size of a step is not documented.",
    ),
    Assumption(
        "listing lag",
        "FakeGoogle.lag(file, calls=N): the next N files.list answers that hold the file "
        "show its previous metadata (as before its latest change); files.get is current.",
        "Drive does not document how soon a change reaches files.list (search is an index); "
        "no page confirms a lag or bounds it.",
    ),
    Assumption(
        "new spreadsheet defaults",
        "A spreadsheet made by Drive files.create has one sheet 'Sheet1' with sheetId 0, "
        "1000 rows x 26 columns, locale en_US and the fake's default time zone.",
        "Observed in the Sheets UI and API answers, not documented; a real one takes the "
        "creator's locale and time zone.",
    ),
    Assumption(
        "formula after a locale change",
        "A formula that parsed keeps working (and reads back as written) after the "
        "spreadsheet's locale changes.",
        "Sheets translates the display of formulas between locales; not confirmed through the API.",
    ),
    Assumption(
        "formula separators",
        "In dot-decimal locales ';' between function arguments and '\\' in array literals "
        "are parse errors; the comma-decimal locales are de, fr, pt, es (not es_MX/es_US), "
        "it, nl, ru, pl, tr, id, sv, da, nb, fi, cs, uk, el, hu, ro.",
        "Reported parse errors cover ',' in comma-decimal locales (google-api-nodejs-client"
        "#1994, tr_TR); one report says Sheets accepts ';' in every locale. The fake takes "
        "the stricter reading, and derives the locale list from decimal conventions.",
    ),
    Assumption(
        "sharing restrictions wording",
        "permissions.create on a shared-drive file answers 403 "
        "teamDriveDomainUsersOnlyRestriction / teamDriveTeamMembersOnlyRestriction.",
        "The reason strings are Drive's (used by GAM, seen in reports); the message text "
        "is the fake's own.",
    ),
    Assumption(
        "corpora refusals",
        "driveId without corpora=drive (or the reverse): 400 "
        "teamDriveIdRequiresTeamDriveCorpora; corpora drive/allDrives without "
        "includeItemsFromAllDrives=true: 403 forbidden.",
        "Messages are Drive's as reported (google-api-php-client#1825, pygsheets#437); "
        "the 400 status and the 403's reason are not documented.",
    ),
    Assumption(
        "cannotAddParent on create",
        "files.create with two parents answers 403 cannotAddParent, as files.update does.",
        "File.parents says multiple parents are not supported; the create-time answer is "
        "not documented.",
    ),
    Assumption(
        "shared drive not found",
        "drives.get by a non-member answers 404 notFound 'Shared drive not found: ID'.",
        "Wording as reported by Drive clients, not in the reference.",
    ),
    Assumption(
        "Sheets without access",
        "Sheets calls on a file the token cannot open answer 404 'Requested entity was not found.'",
        "Sheets may answer 403 PERMISSION_DENIED for some of these; undocumented.",
    ),
    Assumption(
        "My Drive access",
        "A My Drive file can be opened by any full-drive token that knows its id, unless "
        "FakeGoogle.denied says otherwise; shared-drive files need membership or a direct "
        "permission, drive.file tokens need the file created or opened by the app.",
        "A simplification that is more permissive than Google for My Drive files.",
    ),
    Assumption(
        "sort moves values",
        "sortRange moves cell values and formats, not rows: developer metadata bound to a "
        "row does not follow a sort.",
        "Unconfirmed either way (GOOGLE.md); the fake takes the less convenient reading.",
    ),
    Assumption(
        "owner cannot be removed",
        "permissions.delete of a My Drive file's owner answers 403 cannotDeletePermission "
        "'The owner of a file cannot be removed.'",
        "Not in Google's reference; wording as Drive clients match it.",
    ),
    Assumption(
        "permissions pageSize",
        "permissions.list pageSize below 1 answers 400 with files.list's range wording.",
        "The discovery document gives the minimum, not the refusal.",
    ),
    Assumption(
        "resource key required",
        "A file with a resourceKey that the caller reaches only through a domain or anyone "
        "permission answers 404 notFound unless X-Goog-Drive-Resource-Keys names it "
        "(fileId/key); having opened it before does not exempt the caller.",
        "Drive's resource keys guide says such requests 'might require a resource key' and "
        "that recent viewers need none; when it is required, and the refusal's status, are "
        "not documented. The fake takes the stricter reading.",
    ),
    Assumption(
        "who can share a file",
        "files.get answers permissions to the file's owner and to a user with a writer "
        "permission (writersCanShare is taken as true); group membership and commenters "
        "who may share are not modelled.",
        "The files resource says permissions show only to a user who can share the file; "
        "the sharing guide names owner and writer, with writersCanShare; the fake keeps to "
        "those two direct roles.",
    ),
    Assumption(
        "Gmail access token",
        "messages.get, attachments.get and drafts.create without the message's "
        "X-Goog-Gmail-Access-Token answer 403 forbidden; another mailbox 403 'Delegation "
        "denied for ...'; an unknown attachment id 404 notFound.",
        "Google documents the header and scopes, not these refusals.",
    ),
    Assumption(
        "Gmail snippet",
        "A message's snippet is the first 200 characters of its text, whitespace folded.",
        "Gmail's reference only says 'A short part of the message text'.",
    ),
)


def markdown() -> str:
    """The table the README carries (`python -m tests.googlefake.assumptions`)."""
    return table(ASSUMPTIONS)


if __name__ == "__main__":
    print(markdown())
