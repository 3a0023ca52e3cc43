"""Build Plan grids the way a sheet holds them, for the status and memory tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from addon.plan.models import ParsedMap, StepMemory
from addon.plan.parse import parse_map
from sheets_schema.vocab import Side
from sheets_schema.workbook import PLAN

HEADER = [c.header for c in PLAN.columns]


def row(
    sid: str,
    step: str = "",
    *,
    due: Any = None,
    status: str = "",
    depends: str = "",
    done_on: Any = None,
    buyer: str = "Dana",
    seller: str = "",
    slips: str = "",
    **computed: Any,
) -> list[Any]:
    values = {
        "id": sid,
        "step": step or f"Step {sid}",
        "due": due,
        "status": status,
        "depends_on": depends,
        "done_on": done_on,
        "buyer_owner": buyer,
        "seller_owner": seller,
        "if_it_slips": slips,
        "phase": "Evaluate",
        **computed,
    }
    return [values.get(c.key) for c in PLAN.columns]


def grids(*rows: list[Any]) -> dict[str, list[list[Any]]]:
    return {
        "Plan": [["A title"], ["Target close ..."], HEADER, *rows],
        "Stakeholders": [
            ["Name", "Email", "Side", "Role"],
            ["Dana Whitfield", "dana@buyer.example.com", "Buyer", "Champion"],
        ],
    }


def parse(*rows: list[Any], today: date, **kwargs: Any) -> ParsedMap:
    return parse_map(grids(*rows), today=today, **kwargs)


def memory(
    *ids: str,
    signature: str | None = None,
    duration: int = 5,
    side: Side = Side.BUYER,
    **baselines: date,
) -> dict[str, StepMemory]:
    return {
        i: StepMemory(
            step_id=i,
            text=f"Step {i}",
            side=side,
            duration_days=duration,
            signature=i == signature,
            baseline_due=baselines.get(i),
            current_due=baselines.get(i),
        )
        for i in ids
    }
