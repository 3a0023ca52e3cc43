"""Sending alerts: the outbox's pending deliveries go out through the channels, on time for
each recipient, once. Digests are made here too (a rep's daily, a manager's weekly).

Channels:
- email through an SMTP relay (MAP_SMTP_HOST...), or, on the local workspace with no relay
  configured, as .eml files in the workspace's outbox/ folder (open them in any mail app);
- the seller team's Google Chat and Slack incoming webhooks (MAP_CHAT_WEBHOOK,
  MAP_SLACK_WEBHOOK): posts for escalations that reach the manager, stale plans, projected
  close past target and dates pushed again. Buyers are never posted about in a channel.

Once, and never lost: a delivery is claimed before it is sent (only one sender wins it),
marked sent after, and a failure puts it back with a later try (5 min, doubling, at most 6 h;
Slack's Retry-After is honoured). After MAX_ATTEMPTS it is failed: it stays in the registry,
the rep's digest and `mapctl alerts` list it, and `mapctl alerts --retry-failed` sends it
again. The one window where a message could go twice is a sender dying between the relay's
"250 OK" and our "sent": its claim expires after 10 minutes and the retry carries the same
Message-ID (Gmail drops a second copy of a Message-ID it has) and, for Chat, the same
threadKey and requestId.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import requests

from addon.config import Settings
from addon.docs import render
from addon.plan.crm import Gap, deal_of
from addon.plan.dates import fmt
from addon.plan.delivery import Decision, Pending, Quiet, plan, zone
from addon.plan.insights import changed_most
from addon.registry.history import weekly_insights
from addon.registry.models import AlertRow, DeliveryRow, MapRow
from addon.registry.store import Registry
from addon.sharing import Inviter
from addon.sync import ACTIVE, compute_map, raised_by, rollup_rows, settled_snapshot
from addon.workspace.base import Workspace

log = logging.getLogger("addon.alerts")

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)


class ChannelError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """An SMTP relay (Google Workspace's smtp-relay, SendGrid, Postfix...), stdlib smtplib."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        implicit_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.implicit_tls, self.timeout = starttls, implicit_tls, timeout

    def send(self, message: EmailMessage) -> None:
        try:
            if self.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls and not self.implicit_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP {self.host}:{self.port}: {exc}") from exc
        if refused:
            raise ChannelError(f"SMTP {self.host}:{self.port} refused {sorted(refused)}")


class FolderMailer:
    """The local workspace's stand-in for a relay: each message an .eml file in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = str(message["Message-ID"]).strip("<>").split("@")[0]
        (self.folder / f"{stem}.eml").write_bytes(bytes(message))


@dataclass(frozen=True)
class Webhook:
    """An incoming webhook: Google Chat (kind chat) or Slack (kind slack)."""

    name: str
    kind: str
    url: str
    timeout: float = 15.0

    def post(self, text: str, thread: str, request_id: str) -> None:
        params: dict[str, str] = {}
        if self.kind == "chat":
            # One thread per MAP; requestId makes a retry of the same post a no-op in Chat.
            params = {
                "threadKey": thread,
                "messageReplyOption": "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
                "requestId": request_id,
            }
        try:
            answer = requests.post(
                self.url, params=params, json={"text": text}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ChannelError(f"{self.name}: {exc}") from exc
        if answer.status_code >= 300:
            wait = answer.headers.get("Retry-After")
            raise ChannelError(
                f"{self.name} answered {answer.status_code} {answer.text[:200]}",
                float(wait) if wait and wait.isdigit() else None,
            )


@dataclass
class Channels:
    mailer: Mailer | None
    webhooks: list[Webhook]
    mail_from: str
    quiet: Quiet = field(default_factory=Quiet)
    digest_hour: int = 8
    link: Callable[[str], str] = str  # a MAP's sheet ref -> the link people open

    @property
    def domain(self) -> str:
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "example.com"


def channels_from(settings: Settings, link: Callable[[str], str]) -> Channels:
    mailer: Mailer | None = None
    if settings.smtp_host:
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
            starttls=settings.smtp_starttls,
            implicit_tls=settings.smtp_implicit_tls,
        )
    elif settings.backend == "local":
        mailer = FolderMailer(settings.workspace / "outbox")
    hooks = []
    if settings.chat_webhook:
        hooks.append(Webhook("google chat", "chat", settings.chat_webhook.get_secret_value()))
    if settings.slack_webhook:
        hooks.append(Webhook("slack", "slack", settings.slack_webhook.get_secret_value()))
    return Channels(
        mailer,
        hooks,
        settings.mail_from,
        Quiet(time(settings.quiet_start), time(settings.quiet_end)),
        settings.digest_hour,
        link,
    )


@dataclass
class Outcome:
    """One line of a delivery pass: what happened to a message, for the log and the CLI."""

    state: str  # sent, held, retry, failed, off
    channel: str
    to: str
    what: str
    why: str = ""


@dataclass
class DeliveryReport:
    outcomes: list[Outcome] = field(default_factory=list)
    digests: int = 0

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)


def _naive_utc(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def _retry_at(now: datetime, attempts: int, error: ChannelError) -> datetime | None:
    if attempts + 1 >= MAX_ATTEMPTS:
        return None
    wait: timedelta = min(LONGEST_RETRY, FIRST_RETRY * (2**attempts))
    if error.retry_after:
        wait = max(wait, timedelta(seconds=error.retry_after))
    return now + wait


def deliver(registry: Registry, channels: Channels, now: datetime) -> DeliveryReport:
    """Send every delivery whose time has come, then the digests that are due (after, so a
    digest lists what this pass sent)."""
    now = _naive_utc(now)
    report = DeliveryReport()
    _send_due(registry, channels, now, report)
    report.digests = make_digests(registry, channels, now)
    if report.digests:
        _send_due(registry, channels, now, report)
    return report


def _send_due(
    registry: Registry, channels: Channels, now: datetime, report: DeliveryReport
) -> None:
    due = []
    for delivery, alert in registry.due_deliveries(now):
        if why := _not_sent(delivery, alert, channels, now):
            registry.mark_off([delivery.id], why)
            what = _what([(delivery, alert)])
            report.outcomes.append(Outcome("off", delivery.channel, _to(delivery), what, why))
        else:
            due.append((delivery, alert))
    rows = {d.id: (d, a) for d, a in due}
    pending = [Pending(d.id, d.map_id, d.channel, d.address, d.side, d.time_zone) for d, _ in due]
    last = registry.buyer_last_sent((p.map_id, p.address) for p in pending if p.side == "buyer")
    maps: dict[str, MapRow] = {}
    for decision in plan(pending, last, now, channels.quiet):
        first = rows[decision.ids[0]][0]
        if not decision.send:
            assert decision.until is not None
            registry.hold(decision.ids, decision.until, decision.why)
            what = _what([rows[i] for i in decision.ids])
            report.outcomes.append(Outcome("held", first.channel, _to(first), what, decision.why))
            continue
        claimed = registry.claim(decision.ids, now)
        if not claimed:
            continue  # another sender has them
        group = [rows[i] for i in claimed]
        row = None
        if first.map_id:
            if first.map_id not in maps:
                maps[first.map_id] = registry.get(first.map_id)
            row = maps[first.map_id]
        if first.channel == "team":
            for delivery, alert in group:
                report.outcomes.append(_post(registry, channels, delivery, alert, row, now))
        else:
            report.outcomes.append(_mail(registry, channels, group, row, decision, now))


def _local(now: datetime, time_zone: str) -> datetime:
    return now.replace(tzinfo=UTC).astimezone(zone(time_zone))


NO_TEAM_CHANNEL = "no team channel configured (MAP_CHAT_WEBHOOK, MAP_SLACK_WEBHOOK)"


def _not_sent(delivery: DeliveryRow, alert: AlertRow, channels: Channels, now: datetime) -> str:
    """Why a due delivery will not be sent at all ("" while it will): it is out of date,
    or it is for a team channel and none is configured."""
    expires = alert.body.get("expires")
    if expires and _local(now, delivery.time_zone).date() > date.fromisoformat(str(expires)):
        return f"out of date: worth sending until {_due_text(expires)}, not after"
    if delivery.channel == "team" and not channels.webhooks:
        return NO_TEAM_CHANNEL
    return ""


def _to(d: DeliveryRow) -> str:
    return d.address or "team channel"


def _what(group: Sequence[tuple[DeliveryRow, AlertRow]]) -> str:
    labels = [str(a.body.get("label") or a.body.get("subject") or a.rule) for _, a in group]
    steps = [str(a.body.get("step_id") or "") for _, a in group]
    parts = [f"{label} {step}".strip() for label, step in zip(labels, steps, strict=True)]
    return "; ".join(parts)


def _mail(
    registry: Registry,
    channels: Channels,
    group: Sequence[tuple[DeliveryRow, AlertRow]],
    row: MapRow | None,
    decision: Decision,
    now: datetime,
) -> Outcome:
    first = group[0][0]
    ids = [d.id for d, _ in group]
    what = _what(group)
    if channels.mailer is None:
        why = "no SMTP relay configured (MAP_SMTP_HOST); kept, it goes out once one is"
        registry.mark_failed(ids, why, now + timedelta(hours=1))
        return Outcome("retry", "email", first.address, what, why)
    try:
        message = compose(channels, group, row, now)
    except Exception as exc:  # our bug, not the channel's: keep it, retry, say so
        log.exception("could not compose the email to %s (%s)", first.address, what)
        exc = ChannelError(f"could not compose the message: {type(exc).__name__}: {exc}")
        retry = _retry_at(now, first.attempts, exc)
        registry.mark_failed(ids, str(exc), retry)
        return Outcome("retry" if retry else "failed", "email", first.address, what, str(exc))
    try:
        channels.mailer.send(message)
    except ChannelError as exc:
        retry = _retry_at(now, first.attempts, exc)
        registry.mark_failed(ids, str(exc), retry)
        log.warning("email to %s failed (%s): %s", first.address, what, exc)
        return Outcome("retry" if retry else "failed", "email", first.address, what, str(exc))
    assert decision.local_day is not None
    registry.mark_sent(ids, now, decision.local_day, str(message["Message-ID"]))
    return Outcome("sent", "email", first.address, what, first.why)


def _post(
    registry: Registry,
    channels: Channels,
    delivery: DeliveryRow,
    alert: AlertRow,
    row: MapRow | None,
    now: datetime,
) -> Outcome:
    what = _what([(delivery, alert)])
    assert row is not None
    text = render(
        "team_post.txt.j2",
        label=alert.body.get("label", alert.rule),
        deal=row.deal,
        company=row.buyer_company,
        rep_name=row.rep_name,
        reason=alert.body.get("reason", ""),
        sheet_link=channels.link(row.sheet_ref),
    ).strip()
    done = list(delivery.done)
    errors = []
    retry_after = None
    for hook in channels.webhooks:
        if hook.name in done:
            continue
        try:
            hook.post(text, thread=f"map-{row.id}", request_id=f"map-alert-{delivery.id}")
            done.append(hook.name)
        except ChannelError as exc:
            errors.append(str(exc))
            retry_after = exc.retry_after or retry_after
    if not errors:
        local_day = _local(now, delivery.time_zone).date()
        registry.mark_sent([delivery.id], now, local_day, ", ".join(done))
        return Outcome("sent", "team", ", ".join(done), what)
    error = ChannelError("; ".join(errors), retry_after)
    retry = _retry_at(now, delivery.attempts, error)
    registry.mark_failed([delivery.id], str(error), retry, {delivery.id: done})
    return Outcome("retry" if retry else "failed", "team", "team channel", what, str(error))


def _due_text(iso: object) -> str:
    return fmt(date.fromisoformat(str(iso))) if iso else "no date"


def _as_of(alert: dict[str, Any], day: date) -> dict[str, Any]:
    """An alert as it reads on the day it goes out (held alerts: days late then, not when
    it was raised)."""
    due = alert.get("due")
    alert["due_text"] = _due_text(due)
    if due:
        gap = (day - date.fromisoformat(str(due))).days
        alert["days_late"] = max(0, gap)
        alert["when"] = (
            f"{gap} day{'s' if gap != 1 else ''} late"
            if gap > 0
            else "due today"
            if gap == 0
            else f"due in {-gap} day{'s' if gap != -1 else ''}"
        )
        if gap > 0:  # the reason was written the day it was raised: count from the send day
            alert["reason"] = _DAYS_LATE.sub(alert["when"], str(alert.get("reason", "")))
    return alert


_DAYS_LATE = re.compile(r"\b\d+ days? late\b")


def as_sent(body: Mapping[str, Any], day: date) -> str:
    """An alert's reason as the message sent on `day` says it (the dry run shows this)."""
    return str(_as_of(dict(body), day).get("reason", ""))


def compose(
    channels: Channels,
    group: Sequence[tuple[DeliveryRow, AlertRow]],
    row: MapRow | None,
    now: datetime,
) -> EmailMessage:
    """One email to one person: their alerts from one MAP, or a digest."""
    first = group[0][0]
    message = EmailMessage()
    digest = group[0][1].body if row is None else None
    ids = "-".join(str(d.id) for d, _ in group)
    message["Message-ID"] = (
        f"<map-{hashlib.sha256(ids.encode()).hexdigest()[:20]}@{channels.domain}>"
    )
    message["To"] = formataddr((first.name, first.address))
    sender_name, sender = parseaddr(channels.mail_from)
    if digest is not None:
        message["From"] = formataddr((sender_name or "MAP", sender))
        message["Subject"] = str(digest["subject"])
        message.set_content(str(digest["text"]))
        message.add_alternative(str(digest["html"]), subtype="html")
        return message
    assert row is not None
    day = _local(now, first.time_zone)
    alerts = [_as_of(dict(a.body, why=d.why), day.date()) for d, a in group]
    buyer = first.side == "buyer"
    context = {
        "buyer": buyer,
        "person": first,
        "first_name": (first.name or first.address).split()[0].split("@")[0],
        "alerts": alerts,
        "deal": row.deal,
        "company": row.buyer_company,
        "rep_name": row.rep_name,
        "rep_email": row.rep_email,
        "sheet_link": channels.link(row.sheet_ref),
    }
    if buyer:
        # From the rep, through our relay; replies go to the rep.
        message["From"] = formataddr((f"{row.rep_name} (via MAP)", sender))
        message["Reply-To"] = formataddr((row.rep_name, row.rep_email))
        only = alerts[0]
        message["Subject"] = (
            f"Reminder: {only['step']} ({'due' if only['rule'] == 'due_soon' else 'was due'} "
            f"{only['due_text']})"
            if len(alerts) == 1
            else f"Reminder: {len(alerts)} steps in our plan for {row.deal}"
        )
    else:
        message["From"] = formataddr((sender_name or "MAP alerts", sender))
        head = alerts[0]
        more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
        about = f", {head['step_id']} {head['step']}" if head.get("step") else ""
        message["Subject"] = f"[MAP] {row.deal}: {head['label']}{about}{more}"
    message["X-MAP-Id"] = row.id
    message.set_content(render("alert_email.txt.j2", **context))
    message.add_alternative(render("alert_email.html.j2", **context), subtype="html")
    return message


# --- invitations ----------------------------------------------------------------------


def invitation(channels: Channels, row: MapRow, email: str, name: str) -> EmailMessage:
    """The email that tells a buyer a MAP was shared with them: from the rep through our
    relay, replies to the rep (on Google the files are shared by the service account,
    whose own notification would come from an address nobody reads)."""
    message = EmailMessage()
    digest = hashlib.sha256(f"{row.id}:{email}:invite".encode()).hexdigest()[:20]
    message["Message-ID"] = f"<map-{digest}@{channels.domain}>"
    _sender_name, sender = parseaddr(channels.mail_from)
    message["From"] = formataddr((f"{row.rep_name} (via MAP)", sender))
    message["Reply-To"] = formataddr((row.rep_name, row.rep_email))
    message["To"] = formataddr((name, email))
    message["Subject"] = f"{row.rep_name} shared our plan for {row.deal}"
    message["X-MAP-Id"] = row.id
    context = {
        "first_name": (name or email).split()[0].split("@")[0],
        "deal": row.deal,
        "rep_name": row.rep_name,
        "rep_email": row.rep_email,
        "sheet_link": channels.link(row.sheet_ref),
        "doc_link": channels.link(row.doc_ref),
    }
    message.set_content(render("invitation.txt.j2", **context))
    message.add_alternative(render("invitation.html.j2", **context), subtype="html")
    return message


def inviter(channels: Channels) -> Inviter | None:
    """Sends invitations through the relay (or the local outbox); None when there is no
    way to send email, and the workspace notifies (Drive's own email)."""
    mailer = channels.mailer
    if mailer is None:
        return None

    def invite(row: MapRow, people: Sequence[tuple[str, str]]) -> dict[str, str]:
        failed = {}
        for email, name in people:
            try:
                mailer.send(invitation(channels, row, email, name))
            except ChannelError as exc:
                log.warning("the invitation to %s (%s) was not sent: %s", email, row.id, exc)
                failed[email] = str(exc)
        return failed

    return invite


# --- digests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDigest:
    scope: str
    key: str
    rule: str
    day: date
    email: str
    name: str
    role: str  # rep or manager
    time_zone: str
    build: Callable[[], dict[str, str]]


def due_digests(registry: Registry, channels: Channels, now: datetime) -> list[DueDigest]:
    """The digests whose time has come: a rep's daily (weekdays, from digest_hour their
    time) and a manager's weekly (Mondays). Each is made once: its key is the person's day
    or week."""
    due: list[DueDigest] = []
    active = registry.maps(ACTIVE)
    by_rep: dict[str, list[MapRow]] = {}
    for row in active:
        by_rep.setdefault(row.rep_email.lower(), []).append(row)
    for rep, rows in by_rep.items():
        person = registry.recipient(rep)
        tz = (person.time_zone if person else "") or rows[0].time_zone
        local = _local(now, tz)
        if local.weekday() >= 5 or local.hour < channels.digest_hour:
            continue
        day = local.date()
        due.append(
            DueDigest(
                f"digest:{rep}",
                f"daily:{day.isoformat()}",
                "rep_digest",
                day,
                rep,
                rows[0].rep_name,
                "rep",
                tz,
                partial(rep_digest, registry, channels, rows, day),
            )
        )
    for manager in registry.managers():
        reps = set(registry.reps_of(manager.email))
        rows = [r for r in active if r.rep_email.lower() in reps]
        tz = manager.time_zone or (rows[0].time_zone if rows else "UTC")
        local = _local(now, tz)
        if local.weekday() != 0 or local.hour < channels.digest_hour:
            continue
        year, week, _ = local.isocalendar()
        day = local.date()
        due.append(
            DueDigest(
                f"digest:{manager.email}",
                f"weekly:{year}-W{week:02d}",
                "manager_digest",
                day,
                manager.email,
                manager.name,
                "manager",
                tz,
                partial(manager_digest, registry, channels, rows, reps, day, manager.email),
            )
        )
    return [d for d in due if d.key not in registry.raised_keys(d.scope)]


def make_digests(registry: Registry, channels: Channels, now: datetime) -> int:
    made = 0
    for d in due_digests(registry, channels, now):
        delivery = _digest_delivery(d.email, d.name, d.role, d.time_zone)
        made += registry.add_digest(d.scope, d.key, d.rule, d.day, d.build(), delivery)
    return made


def _digest_delivery(email: str, name: str, role: str, tz: str) -> DeliveryRow:
    return DeliveryRow(
        map_id=None,
        channel="email",
        address=email,
        name=name,
        role=role,
        side="seller",
        why=f"the {'daily' if role == 'rep' else 'weekly'} digest",
        time_zone=tz,
        state="pending",
        attempts=0,
        error="",
        message_id="",
        done=[],
    )


def _map_view(row: Any, channels: Channels, source: MapRow) -> dict[str, Any]:
    return {
        "row": row,
        "link": channels.link(source.sheet_ref),
        "target": fmt(row.target_close),
        "projected": fmt(row.projected_close) if row.projected_close else "unknown",
    }


def rep_digest(
    registry: Registry, channels: Channels, rows: Sequence[MapRow], day: date
) -> dict[str, str]:
    by_id = {r.id: r for r in rows}
    since = day - timedelta(days=1)
    recent: dict[str | None, list[tuple[DeliveryRow, AlertRow]]] = {}
    for d, a in registry.deliveries(map_ids=list(by_id), raised_since=since - timedelta(days=6)):
        recent.setdefault(d.map_id, []).append((d, a))
    views = []
    attention = 0
    for ranked in rollup_rows(rows, registry):
        source = by_id[ranked.map_id]
        view = _map_view(ranked, channels, source)
        view["agenda"] = [
            # agenda items stored before the Resources tab have no "missing" line
            {"missing": "", **item, "due_text": _due_text(item.get("due"))}
            for item in (source.agenda or [])
        ]
        view["sent"] = [
            {
                "label": a.body.get("label", a.rule),
                "to": d.name or _to(d),
                "step": a.body.get("step", ""),
            }
            for d, a in recent.get(ranked.map_id, [])
            if d.state == "sent" and d.sent_at and d.sent_at.date() >= since and d.role != "rep"
        ]
        view["problems"] = [
            {"label": a.body.get("label", a.rule), "to": d.name or _to(d), "error": d.error}
            for d, a in recent.get(ranked.map_id, [])
            if d.state == "failed" or (d.attempts and d.state == "pending")
        ]
        if ranked.health != "on_track" or any(i["days_late"] for i in view["agenda"]):
            attention += 1
        views.append(view)
    context = {"maps": views, "attention": attention, "day_text": f"{day:%A} {fmt(day)}"}
    return {
        "expires": day.isoformat(),  # yesterday's digest is not sent today
        "subject": f"Your MAPs, {day:%a} {fmt(day)}: {attention} need you",
        "text": render("rep_digest.txt.j2", **context),
        "html": render("rep_digest.html.j2", **context),
    }


def manager_digest(
    registry: Registry,
    channels: Channels,
    rows: Sequence[MapRow],
    reps: set[str],
    day: date,
    manager: str = "",
) -> dict[str, str]:
    week_ago = day - timedelta(days=7)
    by_id = {r.id: r for r in rows}
    raised = registry.deliveries(map_ids=list(by_id), raised_since=week_ago)
    seen: set[int] = set()
    week: dict[str, list[str]] = {}
    for _, alert in raised:
        if alert.id in seen or alert.rule in ("due_soon", "late"):
            continue
        seen.add(alert.id)
        week.setdefault(str(alert.map_id), []).append(
            f"{alert.raised_on:%a}: {alert.body.get('label', alert.rule)}, "
            f"{alert.body.get('reason', '')}"
        )
    views = []
    for ranked in rollup_rows(rows, registry):
        view = _map_view(ranked, channels, by_id[ranked.map_id])
        view["week"] = week.get(ranked.map_id, [])
        views.append(view)
    closed = [
        r
        for r in registry.maps(("won", "lost", "archived"))
        if r.rep_email.lower() in reps and r.closed_on and r.closed_on >= week_ago
    ]
    year, week_no, _ = day.isocalendar()
    now, before = weekly_insights(
        registry,
        f"insights:{manager or ','.join(sorted(reps))}",
        f"{year}-W{week_no:02d}",
        {r.lower() for r in reps},
        day,
    )
    learned = changed_most(now, before, 3)
    gap_list = [Gap(deal_of(g.deal), g.why) for g in registry.gaps(owners=reps)]
    gap_list.sort(key=lambda g: -(g.deal.amount or 0))
    context = {
        "maps": views,
        "closed": closed,
        "gaps": gap_list,
        "learned": learned,
        "learned_since": before is not None,
        "off_track": sum(1 for v in views if v["row"].health == "off_track"),
        "at_risk": sum(1 for v in views if v["row"].health == "at_risk"),
        "week_text": fmt(day),
    }
    return {
        "expires": (day + timedelta(days=6)).isoformat(),
        "subject": (
            f"Your team's MAPs, week of {fmt(day)}: {context['off_track']} off track, "
            f"{context['at_risk']} at risk"
        ),
        "text": render("manager_digest.txt.j2", **context),
        "html": render("manager_digest.html.j2", **context),
    }


# --- what would be sent (mapctl alerts --dry-run) ----------------------------------------


def preview(
    registry: Registry,
    workspace: Workspace,
    channels: Channels,
    now: datetime,
    today_of: Callable[[MapRow], date],
) -> list[Outcome]:
    """What a sync and a delivery pass at `now` would send, hold or not send, and why.
    Reads each MAP as a sync would (its last read while nobody saved); writes nothing."""
    now = _naive_utc(now)
    lines: list[Outcome] = []
    pending: list[Pending] = []
    about: dict[int, tuple[str, str]] = {}
    for row in registry.maps(ACTIVE):
        today = today_of(row)
        snapshot = settled_snapshot(row, workspace.version(row.sheet_ref)) or workspace.read(
            row.sheet_ref
        )
        computed = compute_map(row, snapshot, registry, today, workspace.link(row.sheet_ref))
        raised = registry.raised_keys(row.id)
        zones = {}
        for alert in raised_by(row, computed, registry, today):
            if alert.key in raised:
                continue
            what = f"{row.deal}: {alert.label}" + (f" {alert.step_id}" if alert.step_id else "")
            for r in alert.recipients:
                why = f"{alert.reason} [to the {r.why}]"
                if r.held:
                    lines.append(Outcome("off", "email", r.email, what, r.held))
                    continue
                if not r.email and not channels.webhooks:
                    lines.append(Outcome("off", "team", "team channel", what, NO_TEAM_CHANNEL))
                    continue
                if r.email and r.email not in zones:
                    person = registry.recipient(r.email)
                    zones[r.email] = (person.time_zone if person else "") or row.time_zone
                fake = -len(about) - 1
                about[fake] = (what, why)
                pending.append(
                    Pending(
                        fake,
                        row.id,
                        "email" if r.email else "team",
                        r.email,
                        r.side,
                        zones.get(r.email, row.time_zone),
                    )
                )
    for delivery, stored in registry.due_deliveries(now):
        what = _what([(delivery, stored)])
        if off := _not_sent(delivery, stored, channels, now):
            lines.append(Outcome("off", delivery.channel, _to(delivery), what, off))
            continue
        day = _local(now, delivery.time_zone).date()
        about[delivery.id] = (
            what,
            f"{as_sent(stored.body, day)} [to the {delivery.why}]; raised {stored.raised_on}"
            + (f", tried {delivery.attempts}x: {delivery.error}" if delivery.attempts else ""),
        )
        pending.append(
            Pending(
                delivery.id,
                delivery.map_id,
                delivery.channel,
                delivery.address,
                delivery.side,
                delivery.time_zone,
            )
        )
    for digest in due_digests(registry, channels, now):
        lines.append(
            Outcome("send", "email", digest.email, digest.rule.replace("_", " "), digest.key)
        )
    last = registry.buyer_last_sent((p.map_id, p.address) for p in pending if p.side == "buyer")
    by_id = {p.id: p for p in pending}
    for decision in plan(pending, last, now, channels.quiet):
        first = by_id[decision.ids[0]]
        what = "; ".join(about[i][0] for i in decision.ids)
        why = "\n".join(about[i][1] for i in decision.ids)
        state = "send" if decision.send else "held"
        if not decision.send:
            why = f"{decision.why}\n{why}"
        lines.append(Outcome(state, first.channel, first.address or "team channel", what, why))
    for delivery, stored in registry.deliveries(states=["failed"]):
        lines.append(
            Outcome(
                "failed",
                delivery.channel,
                _to(delivery),
                _what([(delivery, stored)]),
                f"gave up after {delivery.attempts} tries: {delivery.error} "
                "(mapctl alerts --retry-failed)",
            )
        )
    return lines


# --- the rep's follow-up draft (the Gmail add-on's "Draft follow-up") ---------------------


def followup(
    row: MapRow,
    to: Sequence[tuple[str, str]],
    subject: str,
    sheet_link: str,
    *,
    in_reply_to: str = "",
    references: str = "",
) -> EmailMessage:
    """A reply the rep edits and sends: the buyer's late and upcoming steps (the agenda of
    the last sync) and ours, with the plan's link. `to`: (name, email) of the buyer side."""
    items = [dict(i, due_text=_due_text(i.get("due"))) for i in (row.agenda or [])]
    theirs = [i for i in items if i["side"] == "buyer"]
    context = {
        "first_names": " and ".join(
            dict.fromkeys((name or email).split()[0].split("@")[0] for name, email in to)
        )
        or "there",
        "deal": row.deal,
        "target": fmt(row.target_close),
        "reason": row.close_reason,
        "late": [i for i in theirs if i["days_late"]],
        "upcoming": [i for i in theirs if not i["days_late"]],
        "ours": [i for i in items if i["side"] != "buyer"],
        "sheet_link": sheet_link,
        "rep_name": row.rep_name,
    }
    message = EmailMessage()
    message["To"] = ", ".join(formataddr(pair) for pair in to)
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = f"{references} {in_reply_to}".strip()
    message.set_content(render("followup_email.txt.j2", **context))
    return message
