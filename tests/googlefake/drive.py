"""Drive v3 files in the fake: the calls a MAP's lifecycle makes.

Modelled (Drive API v3 reference, developers.google.com/drive/api/reference/rest/v3):
- files.create with JSON metadata, or a multipart/related upload (metadata part, then the
  media part) on /upload/drive/v3/files; HTML uploaded with mimeType
  application/vnd.google-apps.document becomes a Google Doc.
- files.get / files.update (addParents, removeParents, appProperties) / files.list with the
  query terms we use: `appProperties has { key='k' and value='v' }`, `trashed = false`,
  `modifiedTime > '...'`, `mimeType = '...'`, `'id' in parents`; other terms answer
  400 Invalid Value, as Drive does for a query it cannot parse.
- `version` grows with every change to a file, including any write through the Sheets API
  to a spreadsheet (File.version: "A monotonically increasing version number for the file.
  This reflects every change made to the file on the server, even those not visible to the
  user"); by how much is not documented, so the fake steps by a seeded random 1..3
  (UNCONFIRMED: assumptions.py "version step"). `modifiedTime` and `lastModifyingUser`
  say when and who (the fake maps each bearer token to a user with `FakeGoogle.users`);
  File.lastModifyingUser "is only populated when the last modification was performed by a
  signed-in user", so it can be missing (`FakeGoogle.hide_modifier`).
- Shared drives (`SharedDrive`; Drive guide "Shared drives overview"): members with a role;
  a file whose parent is in a drive has `driveId` and no owner; `restrictions` as the
  Drive resource gives them (domainUsersOnly, driveMembersOnly, ...).
- Permissions: whoever creates a file in My Drive owns it, an `owner` permission of type
  `user` (`DriveFile.owner`, kept apart from the ones permissions.create adds); a file in a
  shared drive has none: File.owners "isn't populated for items in shared drives", the
  drive owns them (v3 File resource). A file moved into a shared drive loses its owner.
  permissions.list answers both, the owner's first; permissions.delete refuses the owner.
- Documents a person keeps (`FakeGoogle.add_file`, what a Resources row links to): who
  may open one follows its permissions (404 notFound otherwise); files.get answers its
  permissions only to someone who can share it, never for a shared drive item; a
  link-shared file with a resourceKey needs X-Goog-Drive-Resource-Keys (server.py
  `_files_get`, `FakeGoogle.can_open`; each behaviour cites its page there).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.googlefake.discovery import ApiError, _check_body, document

SPREADSHEET = "application/vnd.google-apps.spreadsheet"
DOCUMENT = "application/vnd.google-apps.document"
FOLDER = "application/vnd.google-apps.folder"

# Shared drive roles (Permission.role; the Drive UI calls fileOrganizer "Content manager"
# and writer "Contributor"): who may add files to a drive (Drive guide "Shared drives
# overview", "Share files, folders, and drives": commenters and readers cannot add).
ROLES = ("organizer", "fileOrganizer", "writer", "commenter", "reader")
CONTRIBUTORS = ("organizer", "fileOrganizer", "writer")
# The five restrictions of the Drive resource (Drive v3 reference, drives#Drive.restrictions).
RESTRICTIONS = (
    "adminManagedRestrictions",
    "copyRequiresWriterPermission",
    "domainUsersOnly",
    "driveMembersOnly",
    "sharingFoldersRequiresOrganizerPermission",
)


@dataclass
class SharedDrive:
    """A shared drive: its members by email with their role, its restrictions, and the
    domain it belongs to (the one domainUsersOnly keeps sharing inside)."""

    id: str
    name: str
    members: dict[str, str]
    restrictions: dict[str, bool]
    domain: str

    def role(self, email: str) -> str | None:
        return self.members.get(email.lower())

    def resource(self) -> dict[str, Any]:
        """The Drive resource as drives.get answers it (Drive v3 reference, drives)."""
        return {
            "kind": "drive#drive",
            "id": self.id,
            "name": self.name,
            "restrictions": {key: bool(self.restrictions.get(key)) for key in RESTRICTIONS},
        }


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    modified: datetime
    modified_by: str
    parents: list[str] = field(default_factory=list)
    app_properties: dict[str, str] = field(default_factory=dict)
    version: int = 1
    content: bytes = b""
    trashed: bool = False
    permissions: list[dict[str, Any]] = field(default_factory=list)  # permissions.create's
    owner: dict[str, Any] | None = None  # the owner's Permission; None in a shared drive
    drive_id: str | None = None  # File.driveId: "Only populated for items in shared drives"
    created_by: str = ""  # who made it through the app (drive.file and corpora=user)
    modifier_hidden: bool = False  # lastModifyingUser absent for the last change
    # A file someone else keeps (FakeGoogle.add_file: a document a Resources row links
    # to): who may open it follows its permissions strictly (`FakeGoogle.can_open`).
    by_permission: bool = False
    # File.resourceKey: "A key needed to access the item via a shared link" (link-shared
    # files made before the 2021 security update keep one; Drive guide "Access
    # link-shared files using resource keys").
    resource_key: str = ""

    def every_permission(self) -> list[dict[str, Any]]:
        """The file's Permission resources as permissions.list answers them."""
        return ([self.owner] if self.owner else []) + self.permissions

    def shared_with(self, email: str) -> bool:
        """A direct permission for this person (the owner's included)."""
        return any(p.get("emailAddress") == email for p in self.every_permission())

    def snapshot(self) -> DriveFile:
        """A copy as it is now (its metadata; the content is shared, never changed)."""
        return replace(
            self,
            parents=list(self.parents),
            app_properties=dict(self.app_properties),
            permissions=[dict(p) for p in self.permissions],
        )

    def touch(self, when: datetime, who: str, step: int = 1, hidden: bool = False) -> None:
        self.version += step
        self.modified, self.modified_by, self.modifier_hidden = when, who, hidden

    def resource(self, base_url: str) -> dict[str, Any]:
        kind = "spreadsheets" if self.mime_type == SPREADSHEET else "document"
        answer: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "appProperties": dict(self.app_properties),
            "version": str(self.version),
            "modifiedTime": self.modified.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "trashed": self.trashed,
            "webViewLink": f"{base_url}{kind}/d/{self.id}/edit",
        }
        if not self.modifier_hidden:
            answer["lastModifyingUser"] = {
                "kind": "drive#user",
                "emailAddress": self.modified_by,
                "displayName": self.modified_by.split("@")[0],
            }
        if self.drive_id:
            answer["driveId"] = self.drive_id
        if self.resource_key:
            answer["resourceKey"] = self.resource_key
        return answer

    def can_share(self, email: str) -> bool:
        """Whether `email` may share the file: its owner, or a writer (Drive guide "Share
        files, folders, and drives": "To share a file in My Drive, the user must have
        role=writer or role=owner"; writersCanShare, default true, is not modelled).
        Shared drive items: the guide's other cases, not needed here (see `permissions`)."""
        return any(
            p.get("emailAddress") == email and p.get("role") in ("owner", "writer")
            for p in self.every_permission()
        )

    def key_needed(self, email: str) -> bool:
        """Whether this caller reaches the file only through a link share (type=domain or
        anyone): then a file with a resource key needs it in the request (Drive guide
        "Access link-shared files using resource keys": "Requests from users that only
        have access to these link-shared files using a type=domain or type=anyone
        permission might require a resource key"; UNCONFIRMED: the fake always requires
        it, assumptions.py "resource key required")."""
        direct = any(
            p.get("emailAddress") == email and p.get("type") in ("user", "group")
            for p in self.every_permission()
        )
        return bool(self.resource_key) and not direct

    def opens_for(self, email: str) -> bool:
        """A person named in the permissions, their domain's, or anyone's (by_permission
        files only: group membership is not modelled)."""
        domain = email.rpartition("@")[2].lower()
        for p in self.every_permission():
            kind = p.get("type")
            if kind in ("user", "group") and p.get("emailAddress") == email:
                return True
            if kind == "domain" and str(p.get("domain", "")).lower() == domain:
                return True
            if kind == "anyone":
                return True
        return False


def split_multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], bytes, str]:
    """A multipart/related upload: (metadata, media bytes, media type)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise ApiError(400, "Multipart upload needs a metadata part and a media part.")
    metadata = json.loads(parts[0].get_content() or "{}")
    media = parts[1].get_payload(decode=True) or b""
    assert isinstance(media, bytes)
    return metadata, media, parts[1].get_content_type()


def check_metadata(metadata: dict[str, Any]) -> None:
    _check_body(document("drive.v3"), "File", metadata, "")


_TERM = re.compile(
    r"^(?:appProperties has \{ ?key='(?P<k>[^']*)' and value='(?P<v>[^']*)' ?\}"
    r"|trashed ?= ?(?P<trashed>true|false)"
    r"|modifiedTime ?> ?'(?P<after>[^']+)'"
    r"|mimeType ?= ?'(?P<mime>[^']+)'"
    r"|'(?P<parent>[^']+)' in parents)$"
)


def terms(q: str) -> list[re.Match[str]]:
    """The query's terms; a term the fake does not know answers 400 Invalid Value, as Drive
    does for a query it cannot parse."""
    found = []
    for term in [t.strip() for t in re.split(r" and (?![^{]*\})", q) if t.strip()]:
        m = _TERM.match(term)
        if m is None:
            raise ApiError(400, "Invalid Value", reason="invalid", location="q")
        found.append(m)
    return found


def matches(f: DriveFile, q: str) -> bool:
    for m in terms(q):
        if m["k"] is not None and f.app_properties.get(m["k"]) != m["v"]:
            return False
        if m["trashed"] is not None and f.trashed != (m["trashed"] == "true"):
            return False
        if m["after"] is not None:
            after = datetime.fromisoformat(m["after"].replace("Z", "+00:00")).replace(tzinfo=None)
            if f.modified <= after:
                return False
        if m["mime"] is not None and f.mime_type != m["mime"]:
            return False
        if m["parent"] is not None and m["parent"] not in f.parents:
            return False
    return True
