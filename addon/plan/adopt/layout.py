"""The words and sizes that tell a sheet's layout: block headings ("Risks", "Stakeholders"),
a risk list's heading, section rows ("Phase 2:"), instruction and plan tab names, and the
lengths past which text is a paragraph or no header. Patterns only: the readers use them."""

from __future__ import annotations

import re

_HEADINGS = re.compile(
    r"^(?:key )?(?:risks?(?: flags| & mitigations?| and mitigations?| register)?|"
    r"known risks|stakeholders?|key contacts|contacts|team|resources|links|documents|"
    r"notes|assumptions|legend|key|status key|how to use.*|instructions|"
    r"open questions|next steps|decision criteria|success criteria|pricing|"
    r"mutual commitments|commitments)\s*:?$",
    re.I,
)


_RISK_HEADING = re.compile(
    r"^(?:key )?(?:risks?|known risks|risk flags|risks? (?:&|and) "
    r"mitigations?|risk register|riesgos|risques|risiken)\s*:?\s*$",
    re.I,
)


_SECTION_LIKE = re.compile(
    r"^(?:(?:phase|stage|step|part|milestone|section|week|month|etappe|fase|étape)\s*"
    r"[\w.]*\s*[:\-–—.)]|\d{1,2}\s*[.):\-–—]\s|[IVX]{1,4}[.)]\s)",
    re.I,
)


_SKIP_TABS = re.compile(
    r"instruction|how to|howto|read ?me|guide|example|sample|legend|"
    r"tips|anleitung|mode d'emploi",
    re.I,
)


_PLAN_TABS = re.compile(r"plan|map|timeline|steps|milestones|tasks|action", re.I)


_LONG = 120  # longer text alone on a row is a paragraph, not a heading or a step


_HEADER_MAX = 60


# A line that lists a document, alone in its row ("📄 Platform overview — https://…",
# "📎 SOC 2 report — in the data room", "Call notes: https://…"), and the heading of a list
# of them ("Resources"): read as resources, never as steps or phases.
_ATTACHMENT = re.compile(r"^\s*(?:📎|📄|🔗|📁|📑|📊|📹|🎥|🖇️?|📝)\s*")
_LINE_WITH_URL = re.compile(r"^[^\n]{0,100}?(?:https?://|www\.)\S+\s*$", re.I)
_RESOURCES_HEADING = re.compile(
    r"^(?:resources|documents|docs|links|files|attachments|materials|content|collateral|"
    r"media|shared documents|useful links)\s*:?$",
    re.I,
)


def _is_resource_line(text: str) -> bool:
    return bool(_ATTACHMENT.match(text) or _LINE_WITH_URL.match(text.strip()))
