"""Sheets and Drive clients from the discovery documents bundled in google-api-python-client.

No network is needed to build them (static discovery). `root_url` points every call,
including media uploads and batches, at another server: google-api-python-client derives
upload and batch URLs from the document's rootUrl and ignores `api_endpoint` for them, so
the root is replaced in the document itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient
from google.auth.credentials import Credentials
from googleapiclient.discovery import build_from_document

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@cache
def _document(name: str) -> str:
    return (DOCUMENTS / f"{name}.json").read_text()


def service(
    name: str,
    version: str,
    credentials: Credentials | None = None,
    root_url: str | None = None,
    *,
    http: Any = None,
) -> Any:
    """A client for `name` `version`, e.g. ("sheets", "v4"): authorised by `credentials`,
    or sending through `http` (an authorised, paced transport; see transport.py)."""
    doc: dict[str, Any] = json.loads(_document(f"{name}.{version}"))
    if root_url:
        doc["rootUrl"] = root_url
        doc.pop("mtlsRootUrl", None)
        doc["baseUrl"] = root_url + doc["servicePath"]
    if http is not None:
        return build_from_document(doc, http=http)
    return build_from_document(doc, credentials=credentials)
