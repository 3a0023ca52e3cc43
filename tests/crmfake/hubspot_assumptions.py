"""What the HubSpot fake does that no vendor page confirmed: each entry is a behaviour the
fake commits to (marked `ASSUMPTION` where it is implemented in `hubspot.py`)."""

from __future__ import annotations

from tests.assumption_table import Assumption, table

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "unknown-key-401",
        "An unknown or revoked key gets the same 401 INVALID_AUTHENTICATION body as a missing one",
        "Only the missing-credentials body is shown in real reports (hubspot-api-nodejs#148, #432)",
    ),
    Assumption(
        "batch-update-validation-whole-batch",
        "Any invalid property value in any input (PROPERTY_DOESNT_EXIST, INVALID_OPTION, "
        "INVALID_INTEGER, INVALID_DATE, READ_ONLY_VALUE) fails the whole batch with 400 "
        "VALIDATION_ERROR and nothing is written",
        "No page documents per-input validation results for batch/update; the message format "
        "'Property values were not valid: [...]' is from real single-record reports only",
    ),
    Assumption(
        "validation-errors-array",
        "The 400 body also lists each problem in errors[] as {message, code, context: "
        "{propertyName: [...]}} next to HubSpot's JSON-in-message text",
        "The Error schema (spec collection) allows errors[] with code/context, but no real "
        "report shows it filled for property validation",
    ),
    Assumption(
        "validation-messages",
        "Wording of INVALID_OPTION, INVALID_INTEGER, INVALID_DATE and READ_ONLY_VALUE messages",
        "Codes follow HubSpot's names; the exact sentences are not documented",
    ),
    Assumption(
        "batch-update-missing-id-207",
        "A deleted or unknown id in batch/update gives 207 with an OBJECT_NOT_FOUND error "
        "(context.ids) while the other inputs are written",
        "Documented for batch/read (hubspot-api-php#619); for batch/update only seen in "
        "third-party client tests",
    ),
    Assumption(
        "batch-limit-message",
        "More than 100 inputs: 400 VALIDATION_ERROR 'Batch input limit exceeded: N > 100'",
        "The 100-input limit is documented; the refusal's wording is not",
    ),
    Assumption(
        "duplicate-ids",
        "The same id twice in one batch/update: 400 VALIDATION_ERROR naming the ids",
        "Recalled behaviour, no page found",
    ),
    Assumption(
        "merged-id-update",
        "Reading or updating a merged-away id acts on the primary record, which is returned "
        "with its own id and hs_merged_object_ids",
        "The merge endpoint is documented, but not what a later read/write of the old id does",
    ),
    Assumption(
        "stage-pipeline-mismatch",
        "A dealstage that is not a stage of the deal's (new or current) pipeline is refused as "
        "INVALID_OPTION on dealstage, in the property-validation body",
        "Docs say to send pipeline with dealstage; the refusal body is not documented",
    ),
    Assumption(
        "stage-requirements",
        "require_for_stage(): an update moving a deal into the stage without the listed "
        "properties set is refused 400 VALIDATION_ERROR with code REQUIRED_PROPERTY",
        "No public API reads or sets required-properties-by-stage (pipelines v3, pipelines "
        "2026-09-beta and pipeline governance 2026-09-beta specs have no such field), and no "
        "page says whether or how the API enforces them",
    ),
    Assumption(
        "search-limit-errors",
        "Too many filterGroups/filters, limit > 200 or paging past 10,000 results: 400 "
        "VALIDATION_ERROR with a sentence naming the limit",
        "Limits are documented; the refusals' exact wording is not",
    ),
    Assumption(
        "search-unknown-filter-property",
        "A filter on a property that does not exist is refused 400 VALIDATION_ERROR; unknown "
        "names in `properties` are silently left out",
        "Not documented",
    ),
    Assumption(
        "search-string-compare",
        "EQ/NEQ/IN/NOT_IN on string and enumeration properties compare case-insensitively; "
        "default order is by record id ascending",
        "Not documented",
    ),
    Assumption(
        "search-returned-properties",
        "When `properties` is given the results carry those plus hs_object_id, createdate "
        "and hs_lastmodifieddate (lastmodifieddate for contacts); unset ones are null",
        "Docs only list what is returned when no properties are given",
    ),
    Assumption(
        "value-normalisation",
        "Date values are stored and returned as YYYY-MM-DD, datetime values as ISO-8601 UTC "
        "with milliseconds, numbers as sent",
        "Responses in the docs show epoch-millis strings for dates in some examples",
    ),
    Assumption(
        "property-errors",
        "Property create: duplicate name 409 OBJECT_ALREADY_EXISTS 'Property already exists'; "
        "bad type/fieldType pair, enumeration without options, unknown group, "
        "numberDisplayHint on a non-number: 400 VALIDATION_ERROR; unknown name on GET/PATCH "
        "404 OBJECT_NOT_FOUND; batch/create refused as a whole on the first bad input",
        "The 409 status is documented in the spec; the bodies' wording is not",
    ),
    Assumption(
        "note-errors",
        "Note without hs_timestamp: 400 VALIDATION_ERROR code REQUIRED_PROPERTY; association "
        "type other than HUBSPOT_DEFINED 214, or a missing deal: 400 VALIDATION_ERROR",
        "hs_timestamp being required and 214 being note-to-deal are documented; the refusal "
        "bodies are not",
    ),
    Assumption(
        "rate-limit-headers",
        "Every response (search included) carries X-HubSpot-RateLimit-* for a Professional "
        "account: 190 per 10 s, 650,000 per day, Secondly 19",
        "Per-10 s and daily numbers are from the changelog; whether search responses carry "
        "them, and the Secondly values, are not confirmed",
    ),
    Assumption(
        "no-retry-after",
        "429 answers carry no Retry-After header",
        "HubSpot's API docs do not document Retry-After on 429s",
    ),
    Assumption(
        "search-429",
        "search_rate_limit(): a search 429 uses policyName SECONDLY and the message "
        "'You have reached your secondly limit.'",
        "Body seen in a 2018 report (HGData/mk-node-hubspot#89); the current search limit "
        "is documented without its 429 body",
    ),
    Assumption(
        "fault-default-body",
        "fail() without a body answers HubSpot's error shape with category from the status "
        "(e.g. 500 INTERNAL_ERROR)",
        "Test helper, not a vendor behaviour",
    ),
    Assumption(
        "batch-error-links",
        "207 error entries carry empty `links` and `errors` so hubspot-api-client can parse them",
        "The client's StandardError model requires them; real bodies seen in reports omit them",
    ),
    Assumption(
        "owner-id-unvalidated",
        "hubspot_owner_id accepts any value without checking it names an owner",
        "Not documented",
    ),
)


def markdown() -> str:
    """The table the README carries (`python -m tests.crmfake.hubspot_assumptions`)."""
    return table(ASSUMPTIONS)


if __name__ == "__main__":
    print(markdown())
