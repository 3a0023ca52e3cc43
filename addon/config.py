"""Configuration, layered: defaults, then MAP_* environment variables, then arguments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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

    def registry(self) -> str:
        return self.registry_url or f"sqlite:///{(self.workspace / 'registry.sqlite').resolve()}"
