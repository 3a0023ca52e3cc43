"""Rendering the Jinja2 documents in doc_templates/."""

from __future__ import annotations

from itertools import groupby

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from addon.plan.dates import fmt
from addon.plan.handoff import Handoff
from addon.plan.models import MapInfo
from addon.plan.schedule import InitialPlan
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
        sheet_link=sheet_link,
        sheet_name=sheet_name,
        seller_company=seller_company,
        fmt=fmt,
    )


def render_handoff_doc(handoff: Handoff, *, sheet_link: str) -> str:
    template = _env.get_template("handoff_doc.html.j2")
    return template.render(h=handoff, sheet_link=sheet_link, fmt=fmt)


def render(name: str, **context: object) -> str:
    """A template from doc_templates/ (the messages: alerts, digests, team posts)."""
    return _env.get_template(name).render(fmt=fmt, **context)
