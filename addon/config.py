"""Configuration, layered: defaults, then MAP_* environment variables, then arguments."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAP_", extra="ignore")

    workspace: Path = Field(
        default=Path("map-workspace"), description="folder of the local workspace"
    )
    registry_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in the workspace folder"
    )
    template_dir: Path | None = Field(
        default=None, description="a folder of team templates (NAME.yaml)"
    )
    today: date | None = Field(default=None, description="pin today's date (YYYY-MM-DD)")
    seller_company: str = Field(
        default="Example Software", description="the seller's name, shown in the MAP doc"
    )

    backend: Literal["local", "google"] = Field(
        default="local", description="where MAP files live: local (.xlsx on disk) or google"
    )
    google_auth: Literal["service", "user"] = Field(
        default="service",
        description="service: the service's own account (Application Default Credentials); "
        "user: a rep's OAuth access token (google_user_token)",
    )
    google_user_token: str | None = Field(
        default=None, description="the rep's OAuth access token, for google_auth=user"
    )
    google_user_email: str = Field(default="", description="the rep's email, for google_auth=user")
    google_service_account: str = Field(
        default="", description="the service account's email, when ADC does not say it"
    )
    google_folder: str | None = Field(
        default=None,
        description="Drive folder id for MAPs and the roll-up: a Shared Drive (or a folder in "
        "one) so a rep leaving takes nothing; empty: the acting user's My Drive",
    )
    google_root_url: str | None = Field(
        default=None, description="send Google API calls to this server instead (a test fake)"
    )
    google_timeout: float = Field(
        default=60.0, gt=0, description="seconds before a call is retried"
    )

    def registry(self) -> str:
        return self.registry_url or f"sqlite:///{(self.workspace / 'registry.sqlite').resolve()}"
