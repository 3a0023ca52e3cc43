"""Whose credentials act: the service refuses to start as a service account without a
Shared Drive folder (it could own no file), and says which setting to set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from addon.app import App
from addon.cli import main
from addon.config import Settings
from addon.errors import InputError
from addon.google.auth import service_identity


@pytest.fixture
def service_account_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A service account key file made for the test (never a real one), as
    GOOGLE_APPLICATION_CREDENTIALS names it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    email = "map-sync@example-project.iam.gserviceaccount.com"
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "example-project",
                "private_key_id": "0" * 40,
                "private_key": pem,
                "client_email": email,
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return email


def test_a_service_account_is_known_as_one(service_account_key: str) -> None:
    identity = service_identity()
    assert identity.service_account and identity.email == service_account_key


def test_the_service_refuses_to_start_without_a_shared_drive_folder(
    tmp_path: Path, service_account_key: str
) -> None:
    with pytest.raises(InputError) as refused:
        App(Settings(workspace=tmp_path, backend="google"))
    assert refused.value.field == "google_folder"
    assert "MAP_GOOGLE_FOLDER is not set" in refused.value.detail
    App(
        Settings(workspace=tmp_path, backend="google", google_folder="1MapsFolder")
    ).registry.close()


def test_mapctl_says_which_setting_to_set(tmp_path: Path, service_account_key: str) -> None:
    result = CliRunner().invoke(
        main, ["--backend", "google", "list"], env={"MAP_WORKSPACE": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: google_folder: MAP_GOOGLE_FOLDER is not set")
    assert "Content manager" in result.output
