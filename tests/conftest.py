"""Shared fixtures: a registry in a temp folder, a local workspace, the CLI runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.pop("MAP_TODAY", None)
os.environ.pop("MAP_WORKSPACE", None)

# `env`: the Google workspace on the fake; `web`: the add-on service with signed tokens;
# `hubspot`, `salesforce`: the CRM fakes, seeded, with MAP_CRM_* pointing at them
pytest_plugins = ["tests.google_env", "tests.web_env", "tests.crm_env"]

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "ws"
    root.mkdir()
    yield root


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    from tests.postgres import server

    with server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same registry code on SQLite (a file) and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite'}"
    from tests.postgres import fresh_database

    return fresh_database(request.getfixturevalue("postgres_server"))
