"""Alert rules: what a sync's reading of a MAP should tell people, and whom. Pure: the plan,
its status, what the sync learned and `today` in; alert events out.

Each alert carries a key that names its event. The registry stores keys, so an event is
raised once, however many syncs see it:

  rule               fires when                                 key                  to
  due_soon           an open step is due within 3 days          step + due date      the owner
  late               an open step is past due, under its        step + due date      the owner
                     consequence threshold
  escalation         past the threshold: the ladder below       step + due + rung    see ladder
  stale              the plan is stale (status rules)           last buyer update    rep, team
  close_past_target  projected close is after the target close  target close         rep, team
  date_pushed        a due date moved later, and not for the    step + push count    rep, team
                     first time

A due date the buyer moves is a new event: the reminder for the new date is sent in its turn.

The escalation ladder, counted from the step's consequence threshold (its "If it slips"
says "14+ days late: ..."; 14 days when it names none):

  rung 1  at the threshold      the step's owner (the agreed consequence now applies)
  rung 2  threshold + 3 days    buyer step: the buyer's champion; seller step: the rep
  rung 3  threshold + 7 days    the rep and the rep's manager (and the team's channel)

Only the highest rung reached is raised: a MAP first seen 30 days late tells the rep and
manager, not the owner, champion and rep on one day.

Who can be reached: a buyer-side person gets a reminder only while the MAP is shared with
them (a link they cannot open helps nobody) and buyer reminders are on for the MAP. An owner
who cannot be reached (no email on the Stakeholders tab, a role or "TBD", not shared) is
replaced by the champion, else by the rep, and the alert says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from addon.plan.cells import DEFAULT_THRESHOLD_DAYS
from addon.plan.dates import fmt
from addon.plan.models import DueChange, MapInfo, ParsedMap, Step, StepMemory
from addon.plan.status import DUE_SOON_DAYS, PlanStatus
from sheets_schema.vocab import Health, Role, Side

AGENDA_DAYS = 14  # the digest and the follow-up list steps due within two weeks
PLAN_ALERT_DAYS = 7  # a stale / close / push alert held longer than this is not sent


class Rule(StrEnum):
    DUE_SOON = "due_soon"
    LATE = "late"
    ESCALATION = "escalation"
    STALE = "stale"
    CLOSE_PAST_TARGET = "close_past_target"
    DATE_PUSHED = "date_pushed"


RULE_LABELS = {
    Rule.DUE_SOON: "Due soon",
    Rule.LATE: "Late",
    Rule.ESCALATION: "Escalation",
    Rule.STALE: "Stale plan",
    Rule.CLOSE_PAST_TARGET: "Projected close past target",
    Rule.DATE_PUSHED: "Date pushed again",
}


@dataclass(frozen=True)
class Rung:
    number: int
    after_threshold_days: int
    buyer_step: tuple[str, ...]  # roles reached for a buyer step
    seller_step: tuple[str, ...]  # ... and for a seller step (the buyer is not chased)


LADDER = (
    Rung(1, 0, ("owner",), ("owner",)),
    Rung(2, 3, ("champion",), ("rep",)),
    Rung(3, 7, ("rep", "manager", "team"), ("rep", "manager", "team")),
)

# Rules the seller's team channel hears (buyer reminders never go to a channel).
TEAM_RULES = frozenset({Rule.STALE, Rule.CLOSE_PAST_TARGET, Rule.DATE_PUSHED})


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""


@dataclass(frozen=True)
class Recipient:
    role: str  # owner, champion, rep, manager, team
    side: str  # buyer or seller
    email: str  # "" for the team channel
    name: str
    why: str  # "owner of S04", "champion: Legal - TBD has no email on the Stakeholders tab"
    held: str = ""  # why it is not sent ("buyer reminders are off for this MAP"), if so

    @property
    def buyer(self) -> bool:
        return self.side == Side.BUYER.value


@dataclass(frozen=True)
class Alert:
    key: str
    rule: Rule
    reason: str  # why, in plain words, with the facts
    recipients: tuple[Recipient, ...]
    step_id: str = ""
    step: str = ""
    owner: str = ""
    due: date | None = None
    days_late: int = 0
    rung: int = 0
    consequence: str = ""  # the agreed "if it slips", when it applies
    # The last day it is worth sending (a "due soon" after the due date, a rung the next
    # rung has replaced): a delivery held past it is not sent, and says why.
    expires: date | None = None

    def about(self, step: Step, days_late: int) -> Alert:
        return replace(
            self,
            step_id=step.id,
            step=step.step,
            owner=step.owner_text or "no owner",
            due=step.due,
            days_late=days_late,
        )

    @property
    def label(self) -> str:
        rung = f" (rung {self.rung})" if self.rung else ""
        return f"{RULE_LABELS[self.rule]}{rung}"


@dataclass(frozen=True)
class AgendaItem:
    """An open step that is late or due within AGENDA_DAYS: what the digest and the
    follow-up draft list."""

    step_id: str
    step: str
    owner: str
    side: str  # buyer or seller
    due: date | None
    days_late: int
    health: str
    consequence: str = ""  # the agreed "if it slips", when it is firing
    missing: str = ""  # "Still missing: SOC 2 report (from Seller: ...)" from the Resources tab


@dataclass(frozen=True)
class Audience:
    """Who can be reached for one MAP, from the registry."""

    rep: Person
    manager: Person | None = None
    shared: frozenset[str] = frozenset()  # buyer addresses with access to the Sheet
    buyer_reminders: bool = True
    # The seller team's Chat/Slack channel: always addressed; a delivery with no webhook
    # configured is recorded as not sent, and says so.
    team_channel: bool = True
    seller_domains: tuple[str, ...] = ()


@dataclass
class _Who:
    parsed: ParsedMap
    info: MapInfo
    audience: Audience
    champion: Person | None = field(init=False)

    def __post_init__(self) -> None:
        self.champion = next(
            (
                Person(p.email.strip().lower(), p.name)
                for p in self.parsed.stakeholders
                if p.role is Role.CHAMPION and p.side is not Side.SELLER and "@" in p.email
            ),
            None,
        )

    def buyer(self, person: Person, role: str, why: str) -> Recipient | None:
        if person.email not in self.audience.shared:
            return None
        held = "" if self.audience.buyer_reminders else "buyer reminders are off for this MAP"
        return Recipient(role, Side.BUYER.value, person.email, person.name, why, held)

    def rep(self, why: str) -> Recipient:
        r = self.audience.rep
        return Recipient("rep", Side.SELLER.value, r.email, r.name, why)

    def champion_or_rep(self, why: str) -> Recipient:
        if self.champion is not None:
            found = self.buyer(self.champion, "champion", f"champion: {why}")
            if found is not None:
                return found
        return self.rep(f"rep: {why}")

    def owners(self, step: Step, buyer_step: bool) -> list[Recipient]:
        """The step's owners who can be reached, each once; else who stands in and why."""
        owners = step.buyer_owners if buyer_step else step.seller_owners
        out: list[Recipient] = []
        missing: list[str] = []
        for owner in owners:
            email = (owner.email or "").lower()
            if not email:
                missing.append(f"{owner.display} has no email on the Stakeholders tab")
                continue
            why = f"owner of {step.id}"
            if buyer_step:
                found = self.buyer(Person(email, owner.display), "owner", why)
                if found is None:
                    missing.append(f"{owner.display} does not have access to the MAP")
                    continue
            else:
                found = Recipient("owner", Side.SELLER.value, email, owner.display, why)
            if all(r.email != found.email for r in out):
                out.append(found)
        if out:
            return out
        why = "; ".join(missing) or f"{step.id} has no owner"
        return [self.champion_or_rep(why) if buyer_step else self.rep(f"rep: {why}")]

    def roles(
        self, roles: Iterable[str], step: Step | None = None, buyer_step: bool = False
    ) -> list[Recipient]:
        out: list[Recipient] = []
        for role in roles:
            if role == "owner" and step is not None:
                out += self.owners(step, buyer_step)
            elif role == "champion" and step is not None:
                out.append(self.champion_or_rep(f"escalation of {step.id}"))
            elif role == "rep":
                out.append(self.rep(f"rep on {self.info.deal}"))
            elif role == "manager" and self.audience.manager is not None:
                m = self.audience.manager
                out.append(Recipient("manager", Side.SELLER.value, m.email, m.name, "manager"))
            elif role == "team" and self.audience.team_channel:
                out.append(Recipient("team", Side.SELLER.value, "", "team channel", "team"))
        unique: dict[tuple[str, str], Recipient] = {}
        for r in out:
            unique.setdefault((r.role if r.role == "team" else "", r.email), r)
        return list(unique.values())


def evaluate(
    info: MapInfo,
    parsed: ParsedMap,
    status: PlanStatus,
    memory: Mapping[str, StepMemory],
    changes: Sequence[DueChange],
    audience: Audience,
    today: date,
) -> list[Alert]:
    """Every alert the plan calls for today. The registry drops the keys already raised."""
    who = _Who(parsed, info, audience)
    alerts: list[Alert] = []
    for step in parsed.steps:
        st = status.steps.get(step.id)
        if st is None or not step.is_open or step.due is None:
            continue
        buyer_step = st.is_buyer_step
        due_key = f"{step.id}:{step.due.isoformat()}"
        threshold = step.threshold_days or DEFAULT_THRESHOLD_DAYS
        if st.days_late >= threshold:
            over = st.days_late - threshold
            rung = [r for r in LADDER if over >= r.after_threshold_days][-1]  # the highest
            roles = rung.buyer_step if buyer_step else rung.seller_step
            agreed = f' The agreed consequence: "{step.if_it_slips}".' if step.if_it_slips else ""
            alerts.append(
                Alert(
                    key=f"{Rule.ESCALATION}:{due_key}:{rung.number}",
                    rule=Rule.ESCALATION,
                    reason=(
                        f"{step.id} was due {fmt(step.due)} and is {st.days_late} days late, "
                        f"past its {threshold}-day threshold: rung {rung.number} of the "
                        f"escalation ladder.{agreed}"
                    ),
                    recipients=tuple(who.roles(roles, step, buyer_step)),
                    rung=rung.number,
                    consequence=step.if_it_slips,
                    expires=step.due + timedelta(days=threshold + _next_rung_days(rung)),
                ).about(step, st.days_late)
            )
        elif st.days_late > 0:
            alerts.append(
                Alert(
                    key=f"{Rule.LATE}:{due_key}",
                    rule=Rule.LATE,
                    reason=(
                        f"{step.id} was due {fmt(step.due)}: {st.days_late} day"
                        f"{'s' if st.days_late != 1 else ''} late "
                        f"(escalates at {threshold} days)"
                    ),
                    recipients=tuple(who.owners(step, buyer_step)),
                    expires=step.due + timedelta(days=threshold - 1),
                ).about(step, st.days_late)
            )
        elif st.health is not Health.BLOCKED and 0 <= (step.due - today).days <= DUE_SOON_DAYS:
            days = (step.due - today).days
            when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
            alerts.append(
                Alert(
                    key=f"{Rule.DUE_SOON}:{due_key}",
                    rule=Rule.DUE_SOON,
                    reason=f"{step.id} is due {fmt(step.due)} ({when})",
                    recipients=tuple(who.owners(step, buyer_step)),
                    expires=step.due,
                ).about(step, st.days_late)
            )
    week = today + timedelta(days=PLAN_ALERT_DAYS)
    alerts += [
        replace(a, expires=week) for a in _plan_alerts(info, parsed, status, memory, changes, who)
    ]
    return [a for a in alerts if a.recipients]


def _next_rung_days(rung: Rung) -> int:
    """Days from the threshold until the rung after this one (the last rung: a week)."""
    later = [r.after_threshold_days for r in LADDER if r.number > rung.number]
    return (min(later) if later else rung.after_threshold_days + 7) - 1


def _plan_alerts(
    info: MapInfo,
    parsed: ParsedMap,
    status: PlanStatus,
    memory: Mapping[str, StepMemory],
    changes: Sequence[DueChange],
    who: _Who,
) -> list[Alert]:
    alerts: list[Alert] = []
    team = ("rep", "team")
    if status.stale:
        since = status.last_buyer_update
        last = f"the last buyer edit was {fmt(since)}" if since else "the buyer has not edited yet"
        alerts.append(
            Alert(
                key=f"{Rule.STALE}:{since.isoformat() if since else 'never'}",
                rule=Rule.STALE,
                reason=f"no recent buyer progress: {last}",
                recipients=tuple(who.roles(team)),
            )
        )
    projected = status.projected_close
    if projected is not None and projected > info.target_close and info.lifecycle != "won":
        alerts.append(
            Alert(
                key=f"{Rule.CLOSE_PAST_TARGET}:{info.target_close.isoformat()}",
                rule=Rule.CLOSE_PAST_TARGET,
                reason=(
                    f"projected close {fmt(projected)} is "
                    f"{(projected - info.target_close).days} days past the target "
                    f"{fmt(info.target_close)}"
                    + (f" ({info.close_reason})" if info.close_reason else "")
                ),
                recipients=tuple(who.roles(team)),
            )
        )
    for change in changes:
        mem = memory.get(change.step_id)
        step = parsed.step(change.step_id)
        pushed = change.old is not None and change.new is not None and change.new > change.old
        if not pushed or mem is None or step is None or mem.push_count < 2:
            continue
        assert change.old is not None and change.new is not None
        first = f"; first agreed {fmt(mem.baseline_due)}" if mem.baseline_due else ""
        alerts.append(
            Alert(
                key=f"{Rule.DATE_PUSHED}:{step.id}:{mem.push_count}",
                rule=Rule.DATE_PUSHED,
                reason=(
                    f"{step.id} moved from {fmt(change.old)} to {fmt(change.new)}: "
                    f"pushed {mem.push_count} times{first}"
                ),
                recipients=tuple(who.roles(team)),
                step_id=step.id,
                step=step.step,
                owner=step.owner_text,
                due=change.new,
            )
        )
    return alerts


def agenda(
    parsed: ParsedMap,
    status: PlanStatus,
    today: date,
    missing: Mapping[str, str] | None = None,
) -> list[AgendaItem]:
    """Open steps late or due within AGENDA_DAYS, latest-first then soonest. `missing`:
    step id -> the line naming the documents it still lacks (resources.missing_line)."""
    horizon = today + timedelta(days=AGENDA_DAYS)
    items = []
    for step in parsed.steps:
        st = status.steps.get(step.id)
        if st is None or not step.is_open or step.due is None or step.due > horizon:
            continue
        items.append(
            AgendaItem(
                step_id=step.id,
                step=step.step,
                owner=step.owner_text,
                side=Side.BUYER.value if st.is_buyer_step else Side.SELLER.value,
                due=step.due,
                days_late=st.days_late,
                health=st.health.value,
                consequence=step.if_it_slips if st.consequence_fired else "",
                missing=(missing or {}).get(step.id, ""),
            )
        )
    return sorted(items, key=lambda i: (-i.days_late, i.due or date.max, i.step_id))
