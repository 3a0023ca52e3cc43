"""When an alert may go out: quiet hours in the recipient's own time zone, and at most one
reminder a day from one MAP to one buyer. Pure: the pending deliveries, what each buyer got
already and the time in; decisions out (send these together now, or hold them until when).

- Quiet hours (default 20:00-08:00) are the recipient's local time: a buyer in Chicago and a
  rep in Berlin each hear in their own morning. A buyer is not written to on Saturday or
  Sunday either (their weekend, by their time zone).
- One message per person per MAP: everything pending for a buyer from one MAP goes in one
  email, and once a buyer had a reminder from a MAP on their local day, the next waits for
  their next morning. Seller-side people have no daily cap (they asked for these alerts).
- A team channel (Chat/Slack) gets one post per alert, in the MAP's time zone's day hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Quiet:
    start: time = time(20, 0)
    end: time = time(8, 0)
    buyer_weekends: bool = True

    def contains(self, moment: time) -> bool:
        if self.start > self.end:  # across midnight: 20:00-08:00
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Pending:
    id: int
    map_id: str | None
    channel: str  # email or team
    address: str
    side: str  # buyer or seller
    time_zone: str


@dataclass(frozen=True)
class Decision:
    ids: tuple[int, ...]  # the deliveries that go together (one email to one person)
    send: bool
    until: datetime | None = None  # UTC, when held
    why: str = ""
    local_day: date | None = None  # the recipient's day it goes out on (the buyer cap)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


def next_open(local: datetime, quiet: Quiet, buyer: bool) -> datetime | None:
    """The first moment at or after `local` outside quiet hours (and, for a buyer, on a
    weekday); None when `local` itself is open. Local time in, local time out."""
    open_now = not quiet.contains(local.time()) and not (
        buyer and quiet.buyer_weekends and _weekend(local.date())
    )
    if open_now:
        return None
    day = local.date()
    if local.time() >= quiet.end and quiet.start > quiet.end:
        day += timedelta(days=1)  # evening: tomorrow morning
    if quiet.start <= quiet.end and local.time() >= quiet.end:
        day += timedelta(days=1)
    while buyer and quiet.buyer_weekends and _weekend(day):
        day += timedelta(days=1)
    return datetime.combine(day, quiet.end, tzinfo=local.tzinfo)


def _morning_after(local: datetime, quiet: Quiet, buyer: bool) -> datetime:
    day = local.date() + timedelta(days=1)
    while buyer and quiet.buyer_weekends and _weekend(day):
        day += timedelta(days=1)
    return datetime.combine(day, quiet.end, tzinfo=local.tzinfo)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def plan(
    pending: Sequence[Pending],
    buyer_last_sent: Mapping[tuple[str | None, str], date],
    now: datetime,
    quiet: Quiet = Quiet(),
) -> list[Decision]:
    """Group and time the pending deliveries. `now` is UTC (naive or aware);
    `buyer_last_sent[(map_id, address)]` is the buyer's local day of their last reminder."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    groups: dict[tuple[str, str, str | None, int], list[Pending]] = {}
    for p in pending:
        # An email groups by person and MAP; a team post or a digest (no MAP) goes alone.
        alone = p.channel != "email" or p.map_id is None
        key = (p.channel, p.address, p.map_id, p.id if alone else 0)
        groups.setdefault(key, []).append(p)
    decisions = []
    for items in groups.values():
        first = items[0]
        ids = tuple(p.id for p in items)
        buyer = first.side == "buyer"
        local = now.astimezone(zone(first.time_zone))
        opens = next_open(local, quiet, buyer)
        where = first.time_zone or "UTC"
        if opens is not None:
            decisions.append(
                Decision(
                    ids,
                    False,
                    _utc(opens),
                    f"quiet hours for the recipient ({local:%a %H:%M} {where}); "
                    f"goes out {opens:%a %d %b %H:%M} their time",
                )
            )
            continue
        if buyer and buyer_last_sent.get((first.map_id, first.address)) == local.date():
            later = _morning_after(local, quiet, buyer)
            decisions.append(
                Decision(
                    ids,
                    False,
                    _utc(later),
                    "this buyer already had a reminder from this MAP today "
                    f"(one a day); goes out {later:%a %d %b %H:%M} their time",
                )
            )
            continue
        decisions.append(Decision(ids, True, local_day=local.date()))
    return decisions
