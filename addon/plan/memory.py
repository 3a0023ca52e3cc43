"""Baselines: what must survive from one sync to the next.

The first agreed due date of a step is its baseline. A buyer moving the date changes the
current due but never the baseline, so slip days and the push count survive the edit. The
day a step is first seen done stands in for a done date nobody typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from addon.plan.models import DueChange, ParsedMap, StepMemory
from sheets_schema.vocab import Side


def advance(
    memory: Mapping[str, StepMemory],
    parsed: ParsedMap,
    today: date,
    edited_on: date | None = None,
) -> tuple[dict[str, StepMemory], list[DueChange]]:
    """The memory after this sync's reading, and the due-date changes it saw.

    `edited_on` is when the edit this reading shows was saved, when known (a step found
    done in a save of 9 Mar was done by 9 Mar, even if the sync runs on the 10th)."""
    seen = min(edited_on, today) if edited_on else today
    after = dict(memory)
    changes: list[DueChange] = []
    for step in parsed.steps:
        before = memory.get(step.id)
        if before is None:
            side = side_of(step.buyer_owner, step.seller_owner)
            after[step.id] = StepMemory(
                step_id=step.id,
                text=step.step,
                side=side,
                baseline_due=step.due,
                current_due=step.due,
                first_seen=today,
                first_seen_done=seen if step.is_done else None,
            )
            continue
        mem = (
            before if not step.step or step.step == before.text else replace(before, text=step.step)
        )
        if step.due != before.current_due:
            changes.append(DueChange(step.id, before.current_due, step.due, seen))
            pushed = (
                step.due is not None
                and before.current_due is not None
                and step.due > before.current_due
            )
            mem = replace(
                mem,
                current_due=step.due,
                baseline_due=before.baseline_due if before.baseline_due else step.due,
                push_count=before.push_count + (1 if pushed else 0),
            )
        if step.is_done and mem.first_seen_done is None:
            mem = replace(mem, first_seen_done=seen)
        elif not step.is_done and mem.first_seen_done is not None:
            mem = replace(mem, first_seen_done=None)  # reopened
        after[step.id] = mem
    return after, changes


def side_of(buyer_owner: str, seller_owner: str) -> Side | None:
    """Whose step it is, by which owner cells are filled."""
    if buyer_owner and seller_owner:
        return Side.BOTH
    if buyer_owner:
        return Side.BUYER
    return Side.SELLER if seller_owner else None
