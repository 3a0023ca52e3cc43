"""Grids as JSON for the registry: dates and times tagged so they come back as they went."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from addon.plan.models import Cell, Grid


def _encode(value: Cell) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):  # not a Cell, but a workbook may hold one
        return value.isoformat()
    return value


def _decode(value: Any) -> Cell:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        return date.fromisoformat(value["d"])
    return value  # type: ignore[no-any-return]


def encode_grids(grids: Mapping[str, Grid]) -> dict[str, list[list[Any]]]:
    return {name: [[_encode(v) for v in row] for row in grid] for name, grid in grids.items()}


def decode_grids(data: Mapping[str, list[list[Any]]]) -> dict[str, Grid]:
    return {name: [[_decode(v) for v in row] for row in grid] for name, grid in data.items()}
