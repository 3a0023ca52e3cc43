"""Quota and faults: pacing under 60 requests a minute, 429 / 5xx / stalls retried with
backoff. Time is simulated (transport.Clock), so no test waits for real."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from google.oauth2.credentials import Credentials

from addon.google.transport import CallLog, Clock, PacedHttp, Pacer, authorized_http
from addon.workspace.base import Invite
from addon.workspace.google import GoogleWorkspace
from tests.google_env import BUYER, FOLDER, SERVICE, Env, create
from tests.googlefake.server import FakeGoogle


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
    created = create(env, shared=True)
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
def impatient(env: Env) -> Iterator[tuple[FakeGoogle, GoogleWorkspace, CallLog]]:
    """The env's fake through a transport that gives up on a call after 0.3 s."""
    log = CallLog()
    http = PacedHttp(
        authorized_http(Credentials(token="service-token"), timeout=0.3),
        pacer=Pacer(env.clock),
        log=log,
    )
    yield (
        env.fake,
        GoogleWorkspace(
            http, identity=SERVICE, folder_id=FOLDER, root_url=env.fake.url, sleep=env.clock.sleep
        ),
        log,
    )


def test_a_stalled_call_times_out_and_is_retried(
    env: Env, impatient: tuple[FakeGoogle, GoogleWorkspace, CallLog]
) -> None:
    fake, workspace, log = impatient
    created = create(env)
    fake.stall("drive.files.get", 1.0)
    version = workspace.version(created.files.sheet)
    assert version == str(fake.files[created.files.sheet].version)  # modified by us: plain
    assert len(log) == 2  # the stalled call, then its retry


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "rateLimitExceeded"])
def test_a_403_rate_limit_is_retried_alone_and_in_a_batch(env: Env, reason: str) -> None:
    created = create(env, shared=True)
    env.fake.fail("sheets.spreadsheets.values.batchGet", 403, reason=reason)
    env.fake.fail("drive.permissions.list", 403, reason=reason)
    assert env.workspace.read(created.files.sheet).grids["Plan"][3][0] == "S01"
    people = env.workspace.people([created.files.sheet])
    assert BUYER in {p.email for p in people}
    refused = [c for c in env.fake.log if c.status == 403]
    assert [c.method for c in refused] == [
        "sheets.spreadsheets.values.batchGet",
        "drive.permissions.list",
    ]


@pytest.mark.parametrize("reason", ["storageQuotaExceeded", "sharingRateLimitExceeded"])
def test_a_403_that_waiting_will_not_cure_is_not_retried(env: Env, reason: str) -> None:
    created = create(env)
    env.workspace.sharing_restriction()
    env.fake.fail("drive.permissions.create", 403, reason=reason)
    results = env.workspace.share([Invite(BUYER, "writer", created.files.sheet)], "Our plan")
    assert not results[0].ok and reason in results[0].reason
    assert len([c for c in env.fake.log if c.method == "drive.permissions.create"]) == 3
    # the rep's two grants at create, and this one refusal: never sent again
