"""Whose credentials the Google workspace uses, chosen by configuration.

- `user`: the rep's OAuth access token from an add-on event (`userOAuthToken`: short-lived,
  no refresh token), for work done at click time. The add-on asks for `drive.file`, so
  the token reaches only files the add-on made or the rep opened with it.
- `service`: the service's own account through Application Default Credentials (Cloud
  Run's metadata server, or GOOGLE_APPLICATION_CREDENTIALS on a laptop), for background
  sync. It asks for `drive`: a service account has no files of its own and reaches only
  what it is a member of (the team's Shared Drive), so the scope grants nothing beyond
  that; `drive.file` would not let it open MAPs a rep created with their own token.
  The Sheets API accepts either Drive scope, so no `spreadsheets` scope is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import google.auth
from google.auth.credentials import Credentials
from google.oauth2.credentials import Credentials as UserCredentials

from addon.errors import InputError

USER_SCOPES = ("https://www.googleapis.com/auth/drive.file",)
SERVICE_SCOPES = ("https://www.googleapis.com/auth/drive",)


@dataclass(frozen=True)
class Identity:
    credentials: Credentials
    email: str  # whom our own writes are made as (Drive's lastModifyingUser)
    service_account: bool = False  # owns nothing in Drive: works in a Shared Drive only


def user_identity(token: str, email: str) -> Identity:
    """Act for a rep with the access token an add-on event carries."""
    if not token:
        raise InputError("google_user_token", "no OAuth access token was given for the rep")
    credentials = UserCredentials(token=token, scopes=list(USER_SCOPES))  # type: ignore[no-untyped-call]
    return Identity(credentials, email.lower())


def service_identity(email: str = "") -> Identity:
    """Act as the service's own account (Application Default Credentials)."""
    try:
        credentials, _project = google.auth.default(scopes=list(SERVICE_SCOPES))
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise InputError(
            "google_auth",
            "no Application Default Credentials found "
            f"({exc}); on a laptop run `gcloud auth application-default login` or set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service account key file",
        ) from None
    # Service account keys, Cloud Run's metadata server and impersonation all carry
    # service_account_email ("default" on Cloud Run until the first token); a person's
    # own credentials (gcloud auth application-default login) do not.
    found = getattr(credentials, "service_account_email", None)
    name = "" if found in (None, "default") else str(found)
    return Identity(credentials, (email or name).lower(), service_account=found is not None)
