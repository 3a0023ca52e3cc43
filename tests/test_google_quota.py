"""Quota and faults: pacing under 60 requests a minute, 429 / 5xx / stalls retried with
backoff. Time is simulated (transport.Clock), so no test waits for real."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from addon.google.clients import service
from addon.google.transport import CallLog, Clock, PacedHttp, Pacer, authorized_http
from addon.workspace.google import GoogleWorkspace
from tests.google_env import SERVICE, Env, create
from tests.googlefake.server import FakeGoogle, serve


def test_the_pacer_keeps_every_minute_at_or_under_sixty_calls() -> None:
    clock = Clock.simulated()
    pacer = Pacer(clock)
    starts = []
    for _ in range(150):
        pacer.acquire()
        starts.append(clock.now())
        clock.sleep(0.15)  # each call takes 150 ms
    busiest = max(sum(1 for t in starts if s <= t < s + 60 - 1e-9) for s in starts)
    assert busiest == 60
    assert starts[60] == pytest.approx(60.0) and starts[120] == pytest.approx(120.0)
    assert pacer.waited == pytest.approx(2 * (60 - 60 * 0.15))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_refused_call_is_retried_with_backoff_and_the_sync_succeeds(
    env: Env, status: int
) -> None:
    created = create(env)
    env.fake.fail("sheets.spreadsheets.values.batchGet", status, times=2)
    before = env.clock.now()
    env.fake.clock = lambda: datetime(2026, 3, 3, 10)
    env.buyer().spreadsheets().values().batchUpdate(
        spreadsheetId=created.files.sheet,
        body={"valueInputOption": "RAW", "data": [{"range": "Plan!H4", "values": [["Done"]]}]},
    ).execute()
    result = env.sync(date(2026, 3, 3)).results[0]
    assert result.outcome == "written"
    refused = [c for c in env.fake.log if c.status == status]
    assert len(refused) == 2
    waited = env.clock.now() - before
    assert 0 < waited <= 2 + 4  # rand() * 2**1 then rand() * 2**2 seconds, simulated


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[tuple[FakeGoogle, GoogleWorkspace, CallLog]]:
    with serve() as fake:
        fake.users = {"service-token": SERVICE}
        clock = Clock.simulated()
        log = CallLog()
        http = PacedHttp(
            authorized_http(Credentials(token="service-token"), timeout=0.3),
            pacer=Pacer(clock),
            log=log,
        )
        yield (
            fake,
            GoogleWorkspace(http, identity=SERVICE, root_url=fake.url, sleep=clock.sleep),
            log,
        )


def test_a_stalled_call_times_out_and_is_retried(
    impatient: tuple[FakeGoogle, GoogleWorkspace, CallLog],
) -> None:
    fake, workspace, log = impatient
    sheets = service("sheets", "v4", Credentials(token="service-token"), root_url=fake.url)
    made = sheets.spreadsheets().create(body={"properties": {"title": "x"}}).execute()
    fake.stall("drive.files.get", 1.0)
    assert workspace.version(made["spreadsheetId"]) == "1"
    assert len(log) == 2  # the stalled call, then its retry
