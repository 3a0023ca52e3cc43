"""The workspace the settings ask for: local files, or Google Sheets and Drive."""

from __future__ import annotations

from addon.config import Settings
from addon.errors import InputError
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
    if identity.service_account and not settings.google_folder:
        # A service account has no Drive storage and can own no file (Drive, "Shared
        # drives overview"): without a Shared Drive folder its first create would fail.
        raise InputError(
            "google_folder",
            "MAP_GOOGLE_FOLDER is not set: the service runs as a service account, which "
            "can create files only in a Shared Drive; set MAP_GOOGLE_FOLDER to a folder of "
            "the team's Shared Drive where that account is a Content manager",
        )
    http = PacedHttp(authorized_http(identity.credentials, settings.google_timeout))
    return GoogleWorkspace(
        http,
        identity=identity.email,
        folder_id=settings.google_folder,
        root_url=settings.google_root_url,
        own_domains=[d.strip() for d in settings.seller_domains.split(",") if d.strip()],
    )
