"""`mapctl serve` as a person uses it: headless Chromium (Debian's chromium, driven by
Playwright) opens the card preview, opens a Gmail thread, fills in Create MAP, creates it,
shares it and opens its status card. The screenshot goes to docs/addon-preview.png when
MAP_SCREENSHOTS=1 (the README shows it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.web_env import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    mapctl = Path(sys.executable).parent / "mapctl"
    proc = subprocess.Popen(
        [
            str(mapctl),
            "--workspace",
            str(tmp_path / "ws"),
            "serve",
            "--port",
            str(port),
            "--today",
            "2026-03-02",
        ],
        stdout=subprocess.DEVNULL,  # a pipe nobody reads would fill and stall the server
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_click_through_create_share_and_status(served: str, tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: tests/run installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 760})
        page.goto(served + "/preview")
        assert "No MAPs yet" in page.inner_text("#sidebar")

        page.select_option("select[name=thread]", "northwind")
        page.click("#open-thread")
        assert page.input_value("#in-buyer_company") == "Northwind"
        assert "dana@northwind.example.com" in page.input_value("#in-buyer_contacts")
        page.fill("#in-deal", "Analytics platform rollout")
        page.fill("#in-deal_value", "48k")
        page.click("button:has-text('Create MAP')")
        # no date yet: the form comes back naming the field, with what was typed kept
        assert "Target close" in page.inner_text("#sidebar")
        assert page.input_value("#in-deal_value") == "48k"
        page.fill("#in-target_close", "2026-05-29")
        page.fill("#in-close_reason", "budget is set on 1 June")
        page.click("button:has-text('Create MAP')")
        assert "Created as a draft" in page.inner_text("#sidebar")

        page.click("button:has-text('Share with buyer')")
        text = page.inner_text("#sidebar")
        assert "dana@northwind.example.com" in text and "lee.chen@northwind.example.com" in text

        page.click("button:has-text('Status')")
        text = page.inner_text("#sidebar")
        assert "Projected close" in text and "Shared with the buyer" in text
        assert "0 of 11" in text
        # the Sheet link serves the workbook the card talks about
        href = page.get_attribute("a:has-text('Open Sheet')", "href")
        assert href and requests.get(served + href, timeout=5).content[:2] == b"PK"

        shot = tmp_path / "addon-preview.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("MAP_SCREENSHOTS"):
            shutil.copy(shot, ROOT / "docs" / "addon-preview.png")
        browser.close()
