"""Alerts as people get them, through mapctl on the local workspace: buyer reminders by SMTP
to a local server, team posts to a local Chat/Slack webhook receiver, once per event across
repeated syncs, quiet hours and one reminder a day in the buyer's own time zone, a channel
that fails (retried later, never lost, never sent twice), reminders turned off, the dry run,
and the digests."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from addon.registry.store import Registry
from tests.alert_servers import Hooks, Mailbox, hooks, smtp
from tests.cli_helpers import create, run, set_step_cell

__all__ = ["hooks", "smtp"]  # fixtures

DANA = "dana@northwind.example.com"
SAM = "sam@seller.example.com"


@pytest.fixture
def shared(tmp_path: Path, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    box, port = smtp
    monkeypatch.setenv("MAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MAP_SMTP_PORT", str(port))
    monkeypatch.setenv("MAP_SMTP_STARTTLS", "false")
    monkeypatch.setenv("MAP_MAIL_FROM", "MAP <map@seller.example.com>")
    sheet = create(tmp_path)
    map_id = run(tmp_path, "list").output.split()[0]
    run(tmp_path, "share", map_id, "--today", "2026-03-02")
    # Sharing invited each buyer contact through the relay, from the rep; the tests below
    # count the alerts alone.
    invited = sorted(str(m["To"]) for m in box.messages)
    assert invited == [
        "Dana Whitfield <dana@northwind.example.com>",
        "Lee <lee@northwind.example.com>",
    ]
    assert all(str(m["Reply-To"]) == "Sam Rivera <sam@seller.example.com>" for m in box.messages)
    box.messages.clear()
    return tmp_path, sheet, map_id, box


def _sync(root: Path, today: str, at: str) -> str:
    return run(root, "sync", "--today", today, "--at", at).output


def _edit(sheet: Path, step_id: str, header: str, value: object) -> None:
    wb = load_workbook(sheet)
    set_step_cell(wb["Plan"], step_id, header, value)
    wb.properties.lastModifiedBy = "Dana Whitfield"
    wb.save(sheet)


def test_a_buyer_reminder_is_polite_named_dated_linked_and_sent_once(shared) -> None:  # type: ignore[no-untyped-def]
    root, sheet, map_id, box = shared
    out = _sync(root, "2026-03-11", "2026-03-11T09:00")  # S01 is due on Friday 13 Mar
    assert f"✓ sent   email {DANA}" in out
    (mail,) = box.to(DANA)
    text = box.text(mail)
    assert str(mail["Subject"]).startswith("Reminder: ") and "(due 13 Mar 2026)" in mail["Subject"]
    assert "Sam Rivera (via MAP)" in mail["From"] and SAM in mail["Reply-To"]
    assert text.startswith("Hi Dana,") and "friendly reminder" in text and "13 Mar 2026" in text
    assert sheet.resolve().as_uri() in text and "Thank you,\nSam Rivera" in text
    assert "rather not get these reminders" in text
    assert mail.get_body(("html",)) is not None
    digest = [m for m in box.to(SAM) if str(m["Subject"]).startswith("Your MAPs")]
    assert len(digest) == 1 and "Analytics rollout" in box.text(digest[0])

    # The same day again, and the day after: nothing already sent goes twice.
    _sync(root, "2026-03-11", "2026-03-11T10:00")
    _sync(root, "2026-03-11", "2026-03-11T15:00")
    run(root, "alerts", "--at", "2026-03-11T16:00")
    assert len(box.to(DANA)) == 1
    assert len([m for m in box.to(SAM) if str(m["Subject"]).startswith("Your MAPs")]) == 1
    log = run(root, "alerts", "--log").output
    assert f"sent    2026-03-11 09:00 UTC email {DANA} (owner): Due soon S01" in log

    registry = Registry(f"sqlite:///{root / 'registry.sqlite'}")
    sent = registry.deliveries(states=["sent"], map_ids=[map_id])
    assert [(d.address, a.key) for d, a in sent if d.address == DANA] == [
        (DANA, "due_soon:S01:2026-03-13")
    ]
    registry.close()


def test_quiet_hours_and_one_reminder_a_day_in_the_buyers_own_zone(shared) -> None:  # type: ignore[no-untyped-def]
    root, sheet, _map_id, box = shared
    run(root, "recipient", DANA, "--tz", "America/Los_Angeles")
    out = _sync(root, "2026-03-11", "2026-03-11T13:00")  # 06:00 in Los Angeles (PDT)
    assert box.to(DANA) == []
    assert "quiet hours for the recipient (Wed 06:00 America/Los_Angeles)" in out
    assert "goes out Wed 11 Mar 08:00 their time" in out
    run(root, "alerts", "--at", "2026-03-11T14:59")  # 07:59 there: still quiet
    assert box.to(DANA) == []
    run(root, "alerts", "--at", "2026-03-11T15:01")  # 08:01 there
    assert len(box.to(DANA)) == 1

    # The buyer moves S03 to Friday: a new event, but Dana had her reminder today.
    _edit(sheet, "S03", "Due date", "2026-03-13")
    out = _sync(root, "2026-03-11", "2026-03-11T18:00")
    assert "already had a reminder from this MAP today (one a day)" in out
    assert len(box.to(DANA)) == 1
    run(root, "alerts", "--at", "2026-03-12T14:30")  # 07:30 there the next day
    assert len(box.to(DANA)) == 1
    run(root, "alerts", "--at", "2026-03-12T15:05")
    first, second = box.to(DANA)
    assert "S03" not in str(first["Subject"]) and "13 Mar 2026" in box.text(second)


def test_a_failing_channel_is_retried_later_never_lost_never_sent_twice(  # type: ignore[no-untyped-def]
    shared, hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, sheet, map_id, box = shared
    monkeypatch.setenv("MAP_CHAT_WEBHOOK", hooks.chat_url)
    monkeypatch.setenv("MAP_SLACK_WEBHOOK", hooks.slack_url)
    box.fail = 1  # the relay turns the first message away (451)
    out = _sync(root, "2026-03-11", "2026-03-11T09:00")
    assert f"↻ retry  email {DANA}" in out and "451" in out
    assert box.to(DANA) == []
    run(root, "alerts", "--at", "2026-03-11T09:03")  # the retry waits 5 minutes
    assert box.to(DANA) == []
    run(root, "alerts", "--at", "2026-03-11T09:06")
    run(root, "alerts", "--at", "2026-03-11T09:30")
    assert len(box.to(DANA)) == 1 and box.refused == 1

    # The signature slips past the target close: the rep and the team channel hear.
    registry = Registry(f"sqlite:///{root / 'registry.sqlite'}")
    signature = next(m.step_id for m in registry.memory(map_id).values() if m.signature)
    registry.close()
    _edit(sheet, signature, "Due date", "2026-07-01")
    hooks.fail = {"chat": 1}
    out = _sync(root, "2026-03-11", "2026-03-11T11:00")
    assert "↻ retry  team  team channel: Projected close past target" in out
    assert len(hooks.slack) == 1 and hooks.chat == []
    run(root, "alerts", "--at", "2026-03-11T11:20")
    run(root, "alerts", "--at", "2026-03-11T12:00")
    assert len(hooks.chat) == 1 and len(hooks.slack) == 1  # Slack took it first time: once
    assert hooks.problems == []
    query = hooks.chat[0]["query"]
    assert query["threadKey"] == [f"map-{map_id}"]
    assert query["messageReplyOption"] == ["REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"]
    assert "Projected close past target" in hooks.chat[0]["body"]["text"]
    assert "Projected close past target" in hooks.slack[0]["text"]
    rep_mail = [m for m in box.to(SAM) if "Projected close past target" in str(m["Subject"])]
    assert len(rep_mail) == 1


def test_a_channel_that_keeps_failing_is_kept_listed_and_sent_once_fixed(shared) -> None:  # type: ignore[no-untyped-def]
    root, _sheet, _map_id, box = shared
    box.fail = 10_000
    _sync(root, "2026-03-16", "2026-03-16T09:00")  # S01 was due 13 Mar: a late reminder
    times = [f"2026-03-16T{h:02d}:{m:02d}" for h in range(9, 20) for m in (5, 35)]
    times += [f"2026-03-17T{h:02d}:05" for h in range(8, 20)]
    for at in times:
        run(root, "alerts", "--at", at, ok=False)
    dry = run(root, "alerts", "--dry-run", "--today", "2026-03-18", "--at", "2026-03-18T09:00")
    assert f"✗ failed email {DANA}: Late S01" in dry.output
    assert "gave up after 8 tries" in dry.output and "451" in dry.output
    assert box.messages == []
    box.fail = 0
    out = run(root, "alerts", "--retry-failed", "--at", "2026-03-18T09:01").output
    assert f"✓ sent   email {DANA}: Late S01" in out
    run(root, "alerts", "--at", "2026-03-18T11:00")
    (late,) = box.to(DANA)
    assert "was due 13 Mar 2026" in box.text(late)


def test_buyer_reminders_can_be_turned_off_per_map(shared) -> None:  # type: ignore[no-untyped-def]
    root, _sheet, map_id, box = shared
    assert "buyer reminders off" in run(root, "reminders", map_id, "off").output
    out = _sync(root, "2026-03-11", "2026-03-11T09:00")
    assert box.to(DANA) == []
    assert "buyer reminders are off for this MAP" in run(root, "alerts", "--log").output
    assert "raised" in out
    run(root, "reminders", map_id, "on")
    _sync(root, "2026-03-16", "2026-03-16T09:00")  # S01 late now: a new event, sent
    (late,) = box.to(DANA)
    assert "was due 13 Mar 2026" in str(late["Subject"]) or "was due" in box.text(late)


def test_dry_run_says_what_would_go_to_whom_and_why_and_changes_nothing(shared) -> None:  # type: ignore[no-untyped-def]
    root, _sheet, _map_id, box = shared
    dry = run(root, "alerts", "--dry-run", "--today", "2026-03-11", "--at", "2026-03-11T09:00")
    out = dry.output
    assert "nothing is sent or changed" in out
    assert f"→ send   email {DANA}: Analytics rollout: Due soon S01" in out
    assert "S01 is due 13 Mar 2026 (in 2 days) [to the owner of S01]" in out
    assert f"→ send   email {SAM}: rep digest" in out
    assert box.messages == []
    assert "nothing raised yet" in run(root, "alerts", "--log").output
    late = run(root, "alerts", "--dry-run", "--today", "2026-03-11", "--at", "2026-03-11T21:00")
    assert "… held" in late.output and "quiet hours" in late.output


def test_digests_daily_for_the_rep_weekly_for_the_manager(shared) -> None:  # type: ignore[no-untyped-def]
    root, _sheet, _map_id, box = shared
    run(root, "recipient", SAM, "--manager", "Kim Lee <kim@seller.example.com>")
    _sync(root, "2026-03-16", "2026-03-16T07:30")  # Monday, before the digest hour
    assert [m for m in box.messages if "Your" in str(m["Subject"])] == []
    _sync(root, "2026-03-16", "2026-03-16T08:10")
    (daily,) = [m for m in box.to(SAM) if str(m["Subject"]).startswith("Your MAPs")]
    text = box.text(daily)
    assert "Analytics rollout (Northwind Traders)" in text
    assert "S01" in text and "3 days late" in text
    (weekly,) = box.to("kim@seller.example.com")
    assert str(weekly["Subject"]).startswith("Your team's MAPs, week of 16 Mar 2026")
    assert "Analytics rollout" in box.text(weekly)
    run(root, "alerts", "--at", "2026-03-16T17:00")
    run(root, "alerts", "--at", "2026-03-17T08:30")  # Tuesday: a daily, no weekly
    assert len(box.to("kim@seller.example.com")) == 1
    assert len([m for m in box.to(SAM) if str(m["Subject"]).startswith("Your MAPs")]) == 2


def test_dry_run_shows_what_would_be_sent_that_day(shared) -> None:  # type: ignore[no-untyped-def]
    """A late alert raised on the 16th and not sent yet reads, on the 18th, as the email
    that goes out on the 18th says it: 5 days late, not the 3 it was when raised."""
    root, _sheet, _map_id, box = shared
    box.fail = 1
    _sync(root, "2026-03-16", "2026-03-16T09:00")  # S01 was due 13 Mar: 3 days late
    assert box.to(DANA) == []
    dry = run(root, "alerts", "--dry-run", "--today", "2026-03-18", "--at", "2026-03-18T09:00")
    assert "S01 was due 13 Mar 2026: 5 days late (escalates at 14 days)" in dry.output
    assert "3 days late" not in dry.output
    sent = run(root, "alerts", "--at", "2026-03-18T09:00").output
    assert f"✓ sent   email {DANA}: Late S01" in sent
