"""A plan row -> a `PlannedStep`: its due and done dates (ranges, "[Date]" placeholders),
status, dependencies (by id, number or text) and owners (owners.py), with each reading and
problem noted; then each step's first memory and which step is the signature (it sets the
projected close). Which rows are steps is rows.py's."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from addon.plan import cells as read
from addon.plan.adopt.accounting import _State
from addon.plan.adopt.checkbox import _checkbox
from addon.plan.adopt.model import Note, Origin, _Table, _text
from addon.plan.adopt.owners import _owners
from addon.plan.adopt.predecessors import _is_predecessors, _predecessor_rows
from addon.plan.adopt.rows import _Row
from addon.plan.dates import DateKind, DateReading, fmt, read_date
from addon.plan.memory import side_of
from addon.plan.models import Cell, Stakeholder, StepMemory
from addon.plan.schedule import PlannedStakeholder, PlannedStep
from sheets_schema.vocab import Side, Status
from sheets_schema.workbook import normalise_header


def _steps(
    rows: list[_Row],
    plan: _Table,
    state: _State,
    people: list[PlannedStakeholder],
    rep_name: str,
) -> tuple[list[PlannedStep], list[Origin]]:
    tab = plan.tab
    ids = [f"S{i:02d}" for i in range(1, len(rows) + 1)]  # in the source's order
    known = {sid: _text(raw.values["step"][1]) for sid, raw in zip(ids, rows, strict=True)}
    by_source_id: dict[str, str] = {}
    for sid, raw in zip(ids, rows, strict=True):
        if raw.source_id:
            by_source_id.setdefault(_id_key(raw.source_id), sid)
    # Smartsheet's "Predecessors": row n is the n-th data row under the header
    by_row = (
        {raw.row - plan.row: sid for sid, raw in zip(ids, rows, strict=True)}
        if "depends_on" in plan.fields and _is_predecessors(plan.headers[plan.fields["depends_on"]])
        else {}
    )
    directory = read.People.of([_stakeholder_model(p, i) for i, p in enumerate(people)])
    steps: list[PlannedStep] = []
    origins: list[Origin] = []
    for sid, raw in zip(ids, rows, strict=True):
        verbatim: dict[str, str] = {}

        due = _date(state, tab, raw.row, raw.cell("due"), verbatim, "due")
        done_on = _date(state, tab, raw.row, raw.cell("done_on"), verbatim, "done_on")
        status = _status(state, tab, raw.row, raw.cell("status"), verbatim, done_on)
        buyer, seller = _owners(state, tab, raw, directory, rep_name)
        depends = _by_row(state, tab, raw, by_row, sid, verbatim)
        if depends is None:
            depends = _depends(
                state, tab, raw, raw.cell("depends_on"), by_source_id, known, sid, verbatim
            )
        notes = _text(raw.cell("notes")[1])
        steps.append(
            PlannedStep(
                id=sid,
                phase=raw.phase,
                step=re.sub(r"[ \t]+", " ", _text(raw.values["step"][1])),
                buyer_owner=buyer,
                seller_owner=seller,
                due=due,
                depends_on=depends,
                status=status,
                if_it_slips=_text(raw.cell("if_it_slips")[1]),
                done_on=done_on,
                notes=notes,
                verbatim=verbatim,
            )
        )
        origins.append(Origin(sid, tab, raw.row + 1, raw.source_id))
    return steps, origins


def _id_key(text: str) -> str:
    return re.sub(r"[\s#.]+", "", text.lower()).lstrip("0") or text.lower()


def _stakeholder_model(p: PlannedStakeholder, i: int) -> Stakeholder:
    return Stakeholder(
        row=i,
        name=p.name,
        email=p.email,
        side=Side(p.side.lower()) if p.side.lower() in ("buyer", "seller") else None,
        role=read.read_role(p.role) if p.role else None,
        role_text=p.role,
        decision_authority=p.decision_authority,
        notes=p.notes,
    )


_START_WORD = re.compile(r"^\s*\[?\s*(?:date|start|start date|kick-?off|day 0|t0)\s*\]?\s*$", re.I)


_RANGE = re.compile(r"^\s*(.+?)\s*(?:-|–|—|to|bis|au|al|a)\s*(.+?)\s*$")


def _date(
    state: _State,
    tab: str,
    r: int,
    at: tuple[int, Cell],
    verbatim: dict[str, str],
    key: str,
) -> date | None:
    c, value = at
    if value is None:
        return None
    reading = read_date(value, locale=state.locale, anchor=state.today, plan_start=state.plan_start)
    if reading.kind is DateKind.UNREADABLE and isinstance(value, str):
        if _START_WORD.match(value):  # a template's "[Date]": the day the plan starts
            start = state.plan_start
            reading = DateReading(DateKind.RELATIVE, start, f"read as the plan start, {fmt(start)}")
        else:
            reading = _date_range(value, state) or reading
    if reading.kind is DateKind.UNREADABLE or (
        reading.value is None and reading.kind not in (DateKind.PLACEHOLDER, DateKind.EMPTY)
    ):
        verbatim[key] = _text(value)
        state.note(tab, r, c, f"{reading.note or 'not a date'}; kept as it is", problem=True)
        return None
    if reading.kind is DateKind.PLACEHOLDER:
        verbatim[key] = _text(value)
        state.note(tab, r, c, "no date yet; kept as it is")
        return None
    if isinstance(value, str) and (reading.note or reading.kind is DateKind.RELATIVE):
        state.note(tab, r, c, reading.note)
    return reading.value


def _date_range(value: str, state: _State) -> DateReading | None:
    """'Apr 6-10', '10/1 - 10/15', '3.-7. März': due when the range ends."""
    m = _RANGE.match(value)
    if not m:
        return None
    first = read_date(m[1], locale=state.locale, anchor=state.today)
    last = read_date(m[2], locale=state.locale, anchor=first.value or state.today)
    if last.kind is not DateKind.EXACT and first.value and m[2].strip().isdigit():
        try:
            last = DateReading(DateKind.EXACT, first.value.replace(day=int(m[2])))
        except ValueError:
            return None
    if first.kind is DateKind.EXACT and last.kind is DateKind.EXACT and last.value:
        d = last.value
        return DateReading(DateKind.EXACT, d, f"a range: read as its end, {fmt(d)}")
    return None


def _status(
    state: _State,
    tab: str,
    r: int,
    at: tuple[int, Cell],
    verbatim: dict[str, str],
    done_on: date | None,
) -> Status:
    c, value = at
    reading = read.read_status(value)
    if reading.empty:
        return Status.DONE if done_on else Status.NOT_STARTED
    if reading.status is None and (box := _checkbox(value)) is not None:
        state.note(tab, r, c, f"a checkbox: read as {box.label}")
        return box
    if reading.status is None:
        verbatim["status"] = _text(value)
        state.note(tab, r, c, f"not a status; kept as it is ({read.STATUS_HINT})", problem=True)
        return Status.NOT_STARTED
    text = _text(value)
    if reading.rest:
        verbatim["status"] = text  # "Done - PO pending": the rest is worth keeping
        state.note(tab, r, c, f'read as {reading.status.label}; "{reading.rest}" kept with it')
    elif normalise_header(text) != normalise_header(reading.status.label):
        state.note(tab, r, c, f"read as {reading.status.label}")
    return reading.status


def _by_row(
    state: _State,
    tab: str,
    raw: _Row,
    by_row: Mapping[int, str],
    sid: str,
    verbatim: dict[str, str],
) -> tuple[str, ...] | None:
    """Predecessors by row number ('4FS, 6', '12FS +3d'); None: not written that way."""
    c, value = raw.cell("depends_on")
    if not by_row or value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))
    refs = _predecessor_rows(_text(value))
    if refs is None:
        return None
    found = [by_row.get(n) for n, _ in refs]
    if any(f is None or f == sid for f in found):
        missing = [str(n) for (n, _), f in zip(refs, found, strict=True) if f is None or f == sid]
        verbatim["depends_on"] = _text(value)
        state.note(
            tab,
            raw.row,
            c,
            f"names no step (a parent row or no row): {', '.join(missing)}; kept as it is",
            problem=True,
        )
        return tuple(dict.fromkeys(f for f in found if f and f != sid))
    how = ", ".join(
        f"row {n} = {f}" + (f" ({kind.strip()})" if kind else "")
        for (n, kind), f in zip(refs, found, strict=True)
    )
    state.note(tab, raw.row, c, f"predecessors by row number: {how}")
    return tuple(dict.fromkeys(f for f in found if f))


def _depends(
    state: _State,
    tab: str,
    raw: _Row,
    at: tuple[int, Cell],
    by_source_id: Mapping[str, str],
    known: Mapping[str, str],
    sid: str,
    verbatim: dict[str, str],
) -> tuple[str, ...]:
    c, value = at
    if value is None:
        return ()
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = _text(value)
    if text.lower() in read.NO_DEPENDENCY:
        return ()
    parts = [p.strip() for p in re.split(r"\s*(?:,|;|\n|&|\band\b|\+|/)\s*", text) if p.strip()]
    found: list[str] = []
    unread: list[str] = []
    for part in parts:
        if part.lower() in read.NO_DEPENDENCY:
            continue
        step_id = by_source_id.get(_id_key(part))
        if step_id is None and not by_source_id:
            # no id column: "3" is the third step
            number = re.fullmatch(r"(?:#|step|row|s|m)?\s*0*(\d{1,3})", part, re.I)
            if number and f"S{int(number[1]):02d}" in known:
                step_id = f"S{int(number[1]):02d}"
        if step_id is None:
            hit = read.find_step(part, known, exclude=sid)
            step_id = hit[0] if hit else None
        if step_id is None or step_id == sid:
            unread.append(part)
        elif step_id not in found:
            found.append(step_id)
    if unread:
        verbatim["depends_on"] = ", ".join([*found, *unread])
        state.note(
            tab, raw.row, c, f"names no step: {', '.join(unread)}; kept as it is", problem=True
        )
    elif [p.upper() for p in parts] != found:
        state.note(tab, raw.row, c, f"read as {', '.join(found)}")
    return tuple(found)


_SIGNATURE = re.compile(
    r"\b(?:sign(?:s|ed|ing|ature)?|countersign(?:ed)?|execut(?:e|ed|ion)|unterschr|"
    r"unterzeichn|signature|firma|firmado|close[sd]?[- ]won)\b",
    re.I,
)


_NOT_SIGNATURE = re.compile(
    r"\b(?:nda|mnda|dpa|baa|loi|sow draft|sign[- ]?off|sign[- ]?up|"
    r"single sign|sso)\b",
    re.I,
)


_CONTRACT = re.compile(
    r"contract|agreement|order form|msa|po\b|purchase order|deal|vertrag|"
    r"contrat|contrato|proposal|quote",
    re.I,
)


def _memory(steps: Sequence[PlannedStep], state: _State) -> dict[str, StepMemory]:
    """Each step's side and the signature step (it sets the projected close): the last
    signing step, one naming a contract if any does."""
    signs = [s for s in steps if _SIGNATURE.search(s.step) and not _NOT_SIGNATURE.search(s.step)]
    signing = [s for s in signs if _CONTRACT.search(s.step)] or signs
    signature = signing[-1].id if signing else None
    if signing:
        state.readings.append(
            Note(
                "",
                "",
                signing[-1].step,
                f"{signature} taken as the signature step: it sets the projected close",
            )
        )
    memory: dict[str, StepMemory] = {}
    for s in steps:
        memory[s.id] = StepMemory(
            step_id=s.id,
            text=s.step,
            side=side_of(s.buyer_owner, s.seller_owner),
            signature=s.id == signature,
            baseline_due=s.due,
            current_due=s.due,
            first_seen=state.today,
            first_seen_done=(s.done_on or state.today) if s.status is Status.DONE else None,
        )
    return memory
