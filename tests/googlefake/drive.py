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
  to a spreadsheet; `modifiedTime` and `lastModifyingUser` say when and who (the fake maps
  each bearer token to a user with `FakeGoogle.users`).
- Permissions: whoever creates a file in My Drive owns it, an `owner` permission of type
  `user` (`DriveFile.owner`, kept apart from the ones permissions.create adds); a file in a
  shared drive has none: File.owners "isn't populated for items in shared drives", the
  drive owns them (v3 File resource). A file moved into a shared drive loses its owner.
  permissions.list answers both, the owner's first; permissions.delete refuses the owner.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.googlefake.discovery import ApiError, _check_body, document

SPREADSHEET = "application/vnd.google-apps.spreadsheet"
DOCUMENT = "application/vnd.google-apps.document"


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

    def every_permission(self) -> list[dict[str, Any]]:
        """The file's Permission resources as permissions.list answers them."""
        return ([self.owner] if self.owner else []) + self.permissions

    def touch(self, when: datetime, who: str) -> None:
        self.version += 1
        self.modified, self.modified_by = when, who

    def resource(self, base_url: str) -> dict[str, Any]:
        kind = "spreadsheets" if self.mime_type == SPREADSHEET else "document"
        return {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": self.parents,
            "appProperties": self.app_properties,
            "version": str(self.version),
            "modifiedTime": self.modified.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lastModifyingUser": {
                "kind": "drive#user",
                "emailAddress": self.modified_by,
                "displayName": self.modified_by.split("@")[0],
            },
            "trashed": self.trashed,
            "webViewLink": f"{base_url}{kind}/d/{self.id}/edit",
        }


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


def matches(f: DriveFile, q: str) -> bool:
    for term in [t.strip() for t in re.split(r" and (?![^{]*\})", q) if t.strip()]:
        m = _TERM.match(term)
        if m is None:
            raise ApiError(400, "Invalid Value")
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
