"""The workspace the settings ask for: local files, or Google Sheets and Drive."""

from __future__ import annotations

from addon.config import Settings
from addon.google.auth import Identity, service_identity, user_identity
from addon.google.transport import PacedHttp, authorized_http
from addon.workspace.base import Workspace
from addon.workspace.google import GoogleWorkspace
from addon.workspace.local import LocalWorkspace


def google_identity(settings: Settings) -> Identity:
    if settings.google_auth == "user":
        return user_identity(settings.google_user_token or "", settings.google_user_email)
    return service_identity(settings.google_service_account)


def open_workspace(settings: Settings) -> Workspace:
    if settings.backend == "local":
        settings.workspace.mkdir(parents=True, exist_ok=True)
        return LocalWorkspace(settings.workspace)
    identity = google_identity(settings)
    http = PacedHttp(authorized_http(identity.credentials, settings.google_timeout))
    return GoogleWorkspace(
        http,
        identity=identity.email,
        folder_id=settings.google_folder,
        root_url=settings.google_root_url,
    )
