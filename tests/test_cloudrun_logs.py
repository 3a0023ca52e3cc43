"""The service's logs as Cloud Logging gets them: the image's command (gunicorn with
cloudrun/gunicorn.conf.py) run on loopback, its stdout read line by line as JSON. Each
request is one line; an exception is an Error Reporting event."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.googlefake.server import serve
from tests.web_env import (
    ADDON_SA,
    CLIENT_ID,
    INVOKER,
    PUBLIC,
    Web,
    free_port,
    make_key,
    serve_certs,
    settings_for,
    wait_ready,
)

ROOT = Path(__file__).resolve().parents[1]
REPORTED_ERROR = (
    "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Web, Path]]:
    """(a client with signed tokens, the file gunicorn's stdout goes to)."""
    key = make_key("key-1")
    certs, cert_server = serve_certs(key)
    with serve() as fake:
        settings = settings_for(tmp_path / "ws", certs.url, fake.url)
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MAP_", "GUNICORN_"))},
            "PORT": str(port),
            "MAP_WORKSPACE": str(settings.workspace),
            "MAP_TODAY": "2026-03-02",
            "MAP_PUBLIC_URL": PUBLIC,
            "MAP_ADDON_SERVICE_ACCOUNT": ADDON_SA,
            "MAP_ADDON_CLIENT_ID": CLIENT_ID,
            "MAP_INVOKER_SERVICE_ACCOUNT": INVOKER,
            "MAP_CERTS_URL": certs.url,
            "MAP_GOOGLE_ROOT_URL": fake.url,
            "K_SERVICE": "map-addon",
            "K_REVISION": "map-addon-00042-abc",
        }
        out = tmp_path / "stdout.jsonl"
        with out.open("w") as sink:
            proc = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "--config",
                    str(ROOT / "cloudrun" / "gunicorn.conf.py"),
                    "addon.web:create_app()",
                ],
                env=env,
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(base)
                yield Web(base, key, make_key("key-1", 1), certs, fake, None, settings), out  # type: ignore[arg-type]
            finally:
                proc.terminate()
                proc.wait(timeout=20)
                cert_server.shutdown()


def lines(out: Path) -> list[dict[str, Any]]:
    time.sleep(0.3)  # the worker's last writes
    return [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]


def test_each_request_is_logged_once(service: tuple[Web, Path]) -> None:
    web, out = service
    for _ in range(3):
        assert web.post("/addon/home", web.event("DRIVE")).status_code == 200
    requests_logged = [line for line in lines(out) if "httpRequest" in line]
    assert [r["httpRequest"]["requestUrl"] for r in requests_logged] == ["/addon/home"] * 3
    first = requests_logged[0]
    assert first["severity"] == "INFO" and first["message"] == "POST /addon/home 200"
    assert first["httpRequest"]["status"] == 200
    assert first["httpRequest"]["remoteIp"] == "127.0.0.1"


def test_an_exception_is_an_error_reporting_event(service: tuple[Web, Path]) -> None:
    web, out = service
    registry = sqlite3.connect(web.settings.workspace / "registry.sqlite")
    registry.execute("ALTER TABLE maps RENAME TO maps_moved_away")  # the app did not expect it
    registry.commit()
    registry.close()
    answer = web.post("/addon/home", web.event("DRIVE"))
    assert answer.status_code == 200
    ref = answer.json()["action"]["navigations"][0]["pushCard"]["header"]["subtitle"]
    ref = ref.removeprefix("Reference ")
    (event,) = [line for line in lines(out) if line.get("@type") == REPORTED_ERROR]
    assert event["severity"] == "ERROR"
    assert event["serviceContext"] == {"service": "map-addon", "version": "map-addon-00042-abc"}
    head, _, trace = event["message"].partition("\n")
    assert head == f"home failed for sam@seller.example.com (ref {ref})"
    assert trace.startswith("Traceback (most recent call last):\n")
    assert "no such table: maps" in trace
    assert "exc_info" not in event
