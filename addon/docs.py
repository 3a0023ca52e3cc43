"""Rendering the Jinja2 documents in doc_templates/."""

from __future__ import annotations

from itertools import groupby

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from addon.plan.dates import fmt
from addon.plan.handoff import Handoff
from addon.plan.models import MapInfo
from addon.plan.resources import read_link
from addon.plan.schedule import InitialPlan, PlannedResource
from doc_templates import TEMPLATE_DIR

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html.j2"]),  # the .txt.j2 messages are plain text
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_map_doc(
    info: MapInfo, plan: InitialPlan, *, sheet_link: str, sheet_name: str, seller_company: str
) -> str:
    phases = [
        (phase, [s.step for s in steps])
        for phase, steps in groupby(plan.steps, key=lambda s: s.phase)
    ]
    return _env.get_template("map_doc.html.j2").render(
        info=info,
        stakeholders=plan.stakeholders,
        phases=phases,
        documents=_documents(plan),
        sheet_link=sheet_link,
        sheet_name=sheet_name,
        seller_company=seller_company,
        fmt=fmt,
    )


def _documents(plan: InitialPlan) -> list[tuple[str, list[dict[str, str]]]]:
    """The plan's resources under the step each serves, in plan order (those for no step
    last): title, its link when it is one the other side can open, kind, who provides it."""
    by_step: dict[str, list[PlannedResource]] = {}
    for r in plan.resources:
        by_step.setdefault(r.step, []).append(r)
    named = [(f"{s.id} · {s.step}", by_step.pop(s.id)) for s in plan.steps if s.id in by_step]
    rest = [r for rs in by_step.values() for r in rs]
    if rest:
        named.append(("Not tied to one step", rest))
    return [(label, [_document(r) for r in rs]) for label, rs in named]


def _document(r: PlannedResource) -> dict[str, str]:
    reading = read_link(r.link)
    side = r.side if r.side in ("Buyer", "Seller") else ""
    who = f"{side}: {r.provider}" if side and r.provider else (r.provider or side)
    return {
        "title": r.title or reading.url,
        "url": reading.url if reading.usable else "",
        "kind": r.kind,
        "from": who,
    }


def render_handoff_doc(handoff: Handoff, *, sheet_link: str) -> str:
    template = _env.get_template("handoff_doc.html.j2")
    return template.render(h=handoff, sheet_link=sheet_link, fmt=fmt)


def render(name: str, **context: object) -> str:
    """A template from doc_templates/ (the messages: alerts, digests, team posts)."""
    return _env.get_template(name).render(fmt=fmt, **context)
