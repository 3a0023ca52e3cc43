"""Templates that learn: what closed deals show against what a template assumes.

Pure: `suggest(template, history)` compares each template step's duration and due offset
with the plans made from that template (test plans left out), and proposes buyer-added
steps that keep coming back as new template steps; `apply` builds the suggested template
(a new, validated `Template`; the given one is never changed); `diff_lines` prints it.

Rules:
- a step's figures need at least `MIN_CLOSED` closed deals that used it; fewer: it says so
  and suggests nothing;
- durations as in addon/plan/insights.py (Kaplan–Meier median, open-at-close censored);
  where it finished: median of (done - signature) over won deals with a signature date
  (also at least `MIN_CLOSED`);
- a figure is suggested when it differs from the template by more than max(3 days, 25 %),
  rounded to whole days; offsets are then moved so every step still leaves room after its
  prerequisites (earlier prerequisites before the signature; later dependents after it),
  the rule sheets_schema/template.py checks;
- a buyer-added step group seen in at least `MIN_PLANS_NEW` plans is proposed as a step.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from addon.plan.history import History, PlanHistory, StepHistory
from addon.plan.insights import closed, group_of, step_duration
from addon.plan.stats import summarise
from sheets_schema.template import (
    CUSTOM_LIMITS,
    SIZE_LIMITS,
    Template,
    TemplateStep,
    parse_template,
)
from sheets_schema.vocab import Role

MIN_CLOSED = 8
MIN_WON = 5  # won deals behind a suggested duration
MIN_PLANS_NEW = 5

_BUYER_ROLE = {
    "security review": Role.SECURITY,
    "privacy review": Role.LEGAL,
    "legal review": Role.LEGAL,
    "procurement": Role.PROCUREMENT,
    "technical review": Role.TECHNICAL_EVALUATOR,
    "budget approval": Role.ECONOMIC_BUYER,
    "executive approval": Role.ECONOMIC_BUYER,
}
_SELLER_ROLE = {"security review": Role.SE, "technical review": Role.SE}


@dataclass(frozen=True)
class StepSuggestion:
    key: str
    label: str
    n_closed: int
    enough: bool
    template_duration: int
    median_duration: float | None
    p80_duration: float | None
    suggested_duration: int | None  # None: keep the template's
    template_offset: int
    n_offset: int  # won deals with a signature date and the step done
    median_offset: float | None  # median of done - signature, days
    suggested_offset: int | None  # None: keep the template's
    lines: tuple[str, ...]


@dataclass(frozen=True)
class NewStep:
    key: str
    label: str
    step: str  # the wording the new step would carry
    wordings: tuple[str, ...]
    n_plans: int
    after: str  # the template step it usually came after
    side: str
    median_duration: float | None
    duration_days: int
    offset_days: int
    fits: bool  # False: the template already holds as many steps as its size allows
    line: str


@dataclass(frozen=True)
class Suggestions:
    template: str
    steps: tuple[StepSuggestion, ...]
    new_steps: tuple[NewStep, ...]


def _label(key: str) -> str:
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(round(x)) if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _differs(observed: float, assumed: int) -> bool:
    return abs(observed - assumed) > max(3.0, 0.25 * abs(assumed))


def _end(plan: PlanHistory) -> date:
    return plan.closed_on or plan.created_on


def _instances(plans: list[PlanHistory], key: str) -> list[tuple[PlanHistory, StepHistory]]:
    return [(p, s) for p in plans for s in p.steps if s.template_key == key]


def _make_room(
    template: Template, offsets: dict[str, int], durations: dict[str, int]
) -> dict[str, str]:
    """Move offsets until each step leaves room after its prerequisites: a prerequisite
    before the signature moves earlier; a step after the signature moves later. Returns
    key -> why it moved."""
    signature = template.signature_step.key
    why: dict[str, str] = {}
    for _ in range(len(template.steps) ** 2 + 1):
        changed = False
        for s in template.steps:
            for dep in s.depends_on:
                need = offsets[dep] + durations[s.key]
                if offsets[s.key] >= need:
                    continue
                if dep == signature or offsets[dep] > 0:
                    offsets[s.key] = need
                    why[s.key] = f"later, to leave room after {_label(dep)}"
                else:
                    offsets[dep] = offsets[s.key] - durations[s.key]
                    why[dep] = f"earlier, to leave room for {_label(s.key)}"
                changed = True
        if not changed:
            break
    return why


def _step_lines(
    ts: TemplateStep,
    n_closed: int,
    dur: tuple[float | None, float | None, bool],
    off: tuple[int, float | None],
    new_duration: int | None,
    new_offset: int | None,
    moved: str | None,
) -> tuple[str, ...]:
    label = _label(ts.key)
    where = f"due {ts.offset_days:+d} days from the close"
    if n_closed < MIN_CLOSED:
        short = [f"{label}: {n_closed} closed deals; not enough to suggest"]
        if new_offset is not None and moved:
            short.append(f"{label}: template {where}; suggest {new_offset:+d} ({moved})")
        return tuple(short)
    median, p80, reached = dur
    at_least = "" if reached else "at least "
    took = (
        f"{n_closed} closed deals; the won ones took a median of {at_least}{_fmt(median)} "
        f"(p80 {_fmt(p80)})"
        if median is not None
        else f"{n_closed} closed deals, none timed"
    )
    verdict = f"suggest {new_duration}" if new_duration is not None else "keep"
    lines = [f"{label}: template {ts.duration_days} days; {took}; {verdict}"]
    n_off, med_off = off
    if ts.signature:
        return tuple(lines)
    if n_off < MIN_CLOSED or med_off is None:
        if new_offset is not None and moved:
            lines.append(f"{label}: template {where}; suggest {new_offset:+d} ({moved})")
        else:
            lines.append(f"{label}: {where}; {n_off} won deals with it done; not enough to suggest")
        return tuple(lines)
    seen = f"{n_off} won deals finished it a median of {_fmt(med_off)} days from signature"
    if new_offset is None:
        lines.append(f"{label}: template {where}; {seen}; keep")
    else:
        note = f" ({moved})" if moved else ""
        lines.append(f"{label}: template {where}; {seen}; suggest {new_offset:+d}{note}")
    return tuple(lines)


def _slug(label: str, taken: set[str]) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:33] or "step"
    if not key[0].isalpha():
        key = "s_" + key
    base, i = key, 1
    if key in taken:
        key = f"{base}_added"
    while key in taken:
        i += 1
        key = f"{base}_added{i}"
    return key


def _after(plans: list[PlanHistory], group: str, order: dict[str, int], fallback: str) -> str:
    """The template step a buyer-added group usually came after: its template
    prerequisite (the latest one), else the template step done last before it."""
    votes: Counter[str] = Counter()
    for plan in plans:
        by_id = {s.step_id: s for s in plan.steps}
        for step in plan.steps:
            if group_of(step) != ("buyer_added", group):
                continue
            deps = [
                k
                for d in step.depends_on
                if d in by_id and (k := by_id[d].template_key) is not None and k in order
            ]
            if deps:
                votes[max(deps, key=order.__getitem__)] += 1
                continue
            if step.done_on is None:
                continue
            done_before = [
                (s.done_on, order[s.template_key])
                for s in plan.steps
                if s.template_key in order and s.done_on is not None and s.done_on <= step.done_on
            ]
            if done_before:
                _, idx = max(done_before)
                votes[next(k for k, i in order.items() if i == idx)] += 1
    if not votes:
        return fallback
    top = max(votes.values())
    return max((k for k, v in votes.items() if v == top), key=order.__getitem__)


def suggest(template: Template, history: History) -> Suggestions:
    """What the template's closed deals suggest changing; see the module's rules."""
    plans = [p for p in history.plans if p.template == template.name and not p.test]
    done_plans = [p for p in plans if closed(p)]
    offsets = {s.key: s.offset_days for s in template.steps}
    durations = {s.key: s.duration_days for s in template.steps}
    figures: dict[str, Any] = {}
    for ts in template.steps:
        inst = _instances(done_plans, ts.key)
        n_closed = len({p.map_id for p, _ in inst})
        # Durations from the won deals: a lost deal's stalled step says the deal died, not
        # how long the step takes when the deal goes through (it would read as a very
        # long, censored step and push every date out).
        won = [(p, s) for p, s in inst if p.outcome == "won"]
        obs = [step_duration(p, s, _end(p)) for p, s in won]
        summary = summarise([d for d, _ in obs], [c for _, c in obs])
        rel = [
            float((s.done_on - p.signed_on).days)
            for p, s in inst
            if p.outcome == "won" and p.signed_on and s.done_on
        ]
        off = summarise(rel)
        new_dur = new_off = None
        if n_closed >= MIN_CLOSED:
            if (
                len(won) >= MIN_WON
                and summary.median is not None
                and _differs(summary.median, ts.duration_days)
            ):
                new_dur = min(180, max(1, round(summary.median)))
                durations[ts.key] = new_dur
            if (
                not ts.signature
                and len(rel) >= MIN_CLOSED
                and off.median is not None
                and _differs(off.median, ts.offset_days)
            ):
                new_off = max(-400, min(400, round(off.median)))
                offsets[ts.key] = new_off
        figures[ts.key] = (n_closed, summary, len(rel), off.median, new_dur, new_off)
    proposed = dict(offsets)
    why = _make_room(template, offsets, durations)
    steps = []
    for ts in template.steps:
        n_closed, summary, n_off, med_off, new_dur, new_off = figures[ts.key]
        final = offsets[ts.key]
        moved = why.get(ts.key) if final != proposed[ts.key] else None
        if final != ts.offset_days and (new_off is not None or moved):
            new_off = final
        elif final == ts.offset_days:
            new_off = None
        steps.append(
            StepSuggestion(
                key=ts.key,
                label=_label(ts.key),
                n_closed=n_closed,
                enough=n_closed >= MIN_CLOSED,
                template_duration=ts.duration_days,
                median_duration=summary.median,
                p80_duration=summary.p80,
                suggested_duration=new_dur,
                template_offset=ts.offset_days,
                n_offset=n_off,
                median_offset=med_off,
                suggested_offset=new_off,
                lines=_step_lines(
                    ts,
                    n_closed,
                    (summary.median, summary.p80, summary.median_reached),
                    (n_off, med_off),
                    new_dur,
                    new_off,
                    moved,
                ),
            )
        )
    return Suggestions(template.name, tuple(steps), _new_steps(template, plans, offsets))


def _new_steps(
    template: Template, plans: list[PlanHistory], offsets: dict[str, int]
) -> tuple[NewStep, ...]:
    groups: dict[str, list[tuple[PlanHistory, StepHistory]]] = defaultdict(list)
    for plan in plans:
        for step in plan.steps:
            kind, name = group_of(step)
            if kind == "buyer_added":
                groups[name].append((plan, step))
    order = {s.key: i for i, s in enumerate(template.steps)}
    sig_idx = order[template.signature_step.key]
    fallback = template.steps[max(0, sig_idx - 1)].key
    low_high = SIZE_LIMITS.get(template.name, CUSTOM_LIMITS)
    room = low_high[1] - len(template.steps)
    taken = set(order)
    out = []
    for name in sorted(groups, key=lambda g: (-len({p.map_id for p, _ in groups[g]}), g)):
        inst = groups[name]
        n_plans = len({p.map_id for p, _ in inst})
        if n_plans < MIN_PLANS_NEW:
            continue
        timed = [
            step_duration(p, s, _end(p)) for p, s in inst if closed(p) or s.done_on is not None
        ]
        summary = summarise([d for d, _ in timed], [c for _, c in timed])
        duration = min(180, max(1, round(summary.median or 1)))
        after = _after([p for p, _ in inst], name, order, fallback)
        sides = Counter(s.side for _, s in inst if s.side)
        side = sides.most_common(1)[0][0] if sides else "buyer"
        wordings = Counter(s.text.strip() for _, s in inst)
        ranked = tuple(w for w, _ in sorted(wordings.items(), key=lambda x: (-x[1], x[0])))
        text = ranked[0] if ranked and len(ranked[0]) >= 3 else _label(name)
        key = _slug(name, taken)
        taken.add(key)
        fits = room > 0
        room -= 1
        offset = min(400, offsets[after] + duration)
        where = f"after {_label(after)}"
        line = (
            f"New step {_label(name)!r}: in {n_plans} plans, usually {where}, owned by the "
            f"{side} side, median {_fmt(summary.median)} days; wordings: "
            + "; ".join(ranked[:4])
            + ("" if fits else f"; the {template.name} template is full: replace a step to add it")
        )
        out.append(
            NewStep(
                key=key,
                label=_label(name),
                step=text[:120],
                wordings=ranked,
                n_plans=n_plans,
                after=after,
                side=side if side in ("buyer", "seller", "both") else "buyer",
                median_duration=summary.median,
                duration_days=duration,
                offset_days=offset,
                fits=fits,
                line=line,
            )
        )
    return tuple(out)


def apply(template: Template, suggestions: Suggestions) -> Template:
    """The suggested template: a new value, validated like a template file."""
    if suggestions.template != template.name:
        raise ValueError(f"suggestions for {suggestions.template!r}, not {template.name!r}")
    by_key = {s.key: s for s in suggestions.steps}
    data = template.model_dump(mode="json")
    new_steps: list[dict[str, Any]] = []
    extra: dict[str, list[NewStep]] = defaultdict(list)
    for ns in suggestions.new_steps:
        if ns.fits:
            extra[ns.after].append(ns)
    phases = {s.key: s.phase for s in template.steps}
    for raw in data["steps"]:
        s = by_key.get(raw["key"])
        if s is not None:
            if s.suggested_duration is not None:
                raw["duration_days"] = s.suggested_duration
            if s.suggested_offset is not None:
                raw["offset_days"] = s.suggested_offset
        new_steps.append(raw)
        for ns in extra.get(raw["key"], []):
            new_steps.append(
                {
                    "key": ns.key,
                    "phase": phases[ns.after],
                    "step": ns.step if len(ns.step) >= 3 else ns.label,
                    "side": ns.side,
                    "buyer_owner_role": _BUYER_ROLE.get(ns.label.lower(), Role.CHAMPION).value,
                    "seller_owner_role": _SELLER_ROLE.get(ns.label.lower(), Role.AE).value,
                    "offset_days": max(raw["offset_days"] + ns.duration_days, ns.offset_days),
                    "duration_days": ns.duration_days,
                    "depends_on": [ns.after],
                    "signature": False,
                }
            )
    data["steps"] = new_steps
    return parse_template(data, f"{template.name}.yaml")


def diff_lines(suggestions: Suggestions) -> list[str]:
    """The suggestions as lines to print."""
    lines = [f"Template {suggestions.template}:"]
    for s in suggestions.steps:
        lines += [f"  {line}" for line in s.lines]
    for ns in suggestions.new_steps:
        lines.append(f"  {ns.line}")
    if not suggestions.new_steps:
        lines.append(f"  no buyer-added step seen in {MIN_PLANS_NEW} or more plans")
    return lines


__all__ = ["NewStep", "StepSuggestion", "Suggestions", "apply", "diff_lines", "suggest"]
