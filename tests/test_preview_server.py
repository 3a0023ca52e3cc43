"""`mapctl serve` is a local preview, not a file server: run as a rep runs it (its own
process, real HTTP), it serves a MAP's own outputs and nothing else of the workspace,
answers only to loopback Host names, and takes a POST only with its page's CSRF token."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.web_env import free_port, wait_ready


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    workspace = tmp_path / "ws"
    mapctl = Path(sys.executable).parent / "mapctl"
    command = [str(mapctl), "--workspace", str(workspace), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--today", "2026-03-02"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url, workspace
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def csrf_of(page: str) -> str:
    tokens = set(re.findall(r'name="__csrf" value="([^"]+)"', page))
    assert len(tokens) == 1
    return tokens.pop()


def create(url: str, token: str | None) -> requests.Response:
    click = {"function": url + "/addon/actions/create", "parameters": {"request_id": "r1"}}
    form = {
        "__click": json.dumps(click),
        "__host": "gmail",
        "__dates": "target_close",
        "deal": "Analytics platform rollout",
        "buyer_company": "Northwind",
        "buyer_contacts": "dana@northwind.example.com",
        "deal_value": "48k",
        "template": "auto",
        "target_close": "2026-05-29",
    }
    if token is not None:
        form["__csrf"] = token
    return requests.post(url + "/preview/action", data=form, timeout=30)


def test_a_post_without_the_pages_csrf_token_is_refused(preview: tuple[str, Path]) -> None:
    url, workspace = preview
    assert create(url, None).status_code == 403
    assert create(url, "guessed").status_code == 403
    gmail = requests.post(url + "/preview/open", data={"host": "gmail"}, timeout=10)
    assert gmail.status_code == 403
    assert not (workspace / "maps").exists()  # nothing was made
    token = csrf_of(requests.get(url + "/preview", timeout=10).text)
    made = create(url, token)
    assert made.status_code == 200 and "Created as a draft." in made.text


def test_only_a_maps_own_outputs_are_served(preview: tuple[str, Path]) -> None:
    url, workspace = preview
    token = csrf_of(requests.get(url + "/preview", timeout=10).text)
    page = create(url, token).text
    sheet = re.search(r'href="(/preview/files/[^"]+\.xlsx)"', page)
    doc = re.search(r'href="(/preview/files/[^"]+\.html)"', page)
    assert sheet and doc
    assert requests.get(url + sheet[1], timeout=10).content[:2] == b"PK"
    assert requests.get(url + doc[1], timeout=10).status_code == 200
    folder = sheet[1].removeprefix("/preview/files/").rpartition("/")[0]
    (workspace / folder / "access.json").write_text("[]")
    (workspace / folder / "notes.txt").write_text("private")
    for ref in ["registry.sqlite", f"{folder}/access.json", f"{folder}/notes.txt", "../x"]:
        assert (workspace / "registry.sqlite").exists()
        answer = requests.get(f"{url}/preview/files/{ref}", timeout=10)
        assert answer.status_code == 404, ref


@pytest.mark.parametrize("host", ["evil.example.com", "192.168.1.20", "127.0.0.1.evil.example"])
def test_a_host_that_is_not_loopback_is_refused(preview: tuple[str, Path], host: str) -> None:
    url, _ = preview
    port = url.rpartition(":")[2]
    answer = requests.get(url + "/preview", headers={"Host": f"{host}:{port}"}, timeout=10)
    assert answer.status_code == 403
    assert answer.text == (
        f"Host '{host}' is not this preview's: open it as http://127.0.0.1:PORT/preview "
        "(a page served from another name could be a DNS-rebinding attack)\n"
    )
    for name in ("localhost", "127.0.0.1", "[::1]"):
        ok = requests.get(url + "/preview", headers={"Host": f"{name}:{port}"}, timeout=10)
        assert ok.status_code == 200, name
