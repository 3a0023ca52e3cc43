"""The add-on's cards, built as typed Card v1 messages (google-apps-card) and turned into
the camelCase JSON the add-on host reads. Response wrappers (action, renderActions) are
plain JSON: the package has no types for them.

Every function here is pure: values in, a card out. URLs of actions are absolute (the add-on
host calls them), made from the configured public URL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from google.apps import card_v1 as c

from addon.plan.dates import fmt
from addon.plan.rollup import RollupRow
from sheets_schema.template import Template

Json = dict[str, Any]

HEALTH = {
    "on_track": "🟢 On track",
    "at_risk": "🟠 At risk",
    "off_track": "🔴 Off track",
    "unknown": "⚪ Not synced yet",
}
LIFECYCLE = {
    "draft": "Draft: not shared with the buyer yet",
    "shared": "Shared with the buyer",
    "won": "Won",
    "lost": "Lost",
    "archived": "Archived",
}
AUTO_TEMPLATE = "auto"
# Deal size bands the built-in templates are written for (their descriptions say so).
SIZE_BANDS = ((25_000.0, "smb"), (100_000.0, "mid_market"))


def template_for_value(value: float | None, names: Sequence[str]) -> str:
    """The built-in template a deal of this yearly value is sized for."""
    if value is None:
        return "mid_market" if "mid_market" in names else sorted(names)[0]
    for limit, name in SIZE_BANDS:
        if value < limit and name in names:
            return name
    return "enterprise" if "enterprise" in names else sorted(names)[-1]


# --- JSON -------------------------------------------------------------------------------


def card_json(card: c.Card) -> Json:
    text = c.Card.to_json(
        card, use_integers_for_enums=False, always_print_fields_with_no_presence=False
    )
    data: Json = json.loads(text)
    return data


def push(card: c.Card) -> Json:
    """A trigger's answer: show this card."""
    return {"action": {"navigations": [{"pushCard": card_json(card)}]}}


def update(card: c.Card, note: str = "") -> Json:
    """A widget callback's answer: replace the card on screen (and say `note` in a toast)."""
    action: Json = {"navigations": [{"updateCard": card_json(card)}]}
    if note:
        action["notification"] = {"text": note}
    return {"renderActions": {"action": action}}


def pushed_as_update(answer: Json) -> Json:
    """A trigger's answer given to a card click: the same card, replacing the one on screen
    (a consent request passes through as it is)."""
    if "action" not in answer:
        return answer
    card = answer["action"]["navigations"][0]["pushCard"]
    return {"renderActions": {"action": {"navigations": [{"updateCard": card}]}}}


def notify(text: str) -> Json:
    return {"renderActions": {"action": {"notification": {"text": text}}}}


def open_draft(draft_id: str, thread_id: str) -> Json:
    """Open a draft the add-on created in Gmail's compose window (a hostAppAction; the
    draft itself was made with users.drafts.create)."""
    markup = {"draftId": draft_id, "draftThreadId": thread_id}
    return {
        "renderActions": {
            "hostAppAction": {"gmailAction": {"openCreatedDraftActionMarkup": markup}}
        }
    }


def request_scopes(scopes: Sequence[str]) -> Json:
    """Ask the host to get the rep's consent for these scopes (granular consent)."""
    return {"requesting_google_scopes": {"scopes": list(scopes)}}


# --- building blocks --------------------------------------------------------------------


def _action(url: str, **params: str) -> c.OnClick:
    return c.OnClick(
        action=c.Action(
            function=url,
            parameters=[c.Action.ActionParameter(key=k, value=v) for k, v in params.items()],
        )
    )


def _link(url: str) -> c.OnClick:
    return c.OnClick(open_link=c.OpenLink(url=url, open_as=c.OpenLink.OpenAs.FULL_SIZE))


def _button(text: str, on_click: c.OnClick, filled: bool = False) -> c.Button:
    kind = c.Button.Type.FILLED if filled else c.Button.Type.OUTLINED
    return c.Button(text=text, on_click=on_click, type_=kind)


def _buttons(*buttons: c.Button) -> c.Widget:
    return c.Widget(button_list=c.ButtonList(buttons=list(buttons)))


def _fact(label: str, text: str, bottom: str = "", on_click: c.OnClick | None = None) -> c.Widget:
    return c.Widget(
        decorated_text=c.DecoratedText(
            top_label=label,
            text=text or "—",
            bottom_label=bottom,
            wrap_text=True,
            on_click=on_click,
        )
    )


def _para(text: str) -> c.Widget:
    return c.Widget(text_paragraph=c.TextParagraph(text=text))


def _esc(text: str) -> str:
    """Card text is a small HTML subset: escape what a buyer or rep typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _day(value: date | None) -> str:
    return fmt(value) if value else "not known yet"


def _card(title: str, subtitle: str, *sections: c.Card.Section, name: str = "") -> c.Card:
    return c.Card(
        name=name,
        header=c.Card.CardHeader(title=title, subtitle=subtitle),
        sections=[s for s in sections if s.widgets],
    )


# --- the cards --------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    sheet: str
    doc: str


@dataclass(frozen=True)
class Actions:
    """The URLs the add-on host posts card clicks to."""

    base: str

    def url(self, name: str) -> str:
        return f"{self.base}/addon/actions/{name}"


def status_card(
    row: RollupRow,
    links: Links,
    actions: Actions,
    *,
    lifecycle: str,
    last_synced: date | None,
    shared_with: int = 0,
    offers: Sequence[tuple[str, str]] = (),
    handoff: str = "",
    in_gmail: bool = False,
    buyer_reminders: bool = True,
) -> c.Card:
    """One MAP at a glance, from the registry (no call to Google). `offers`: people the
    buyer added on the Stakeholders tab, (email, name), waiting for the rep's yes or no;
    `handoff`: the link of the customer-success handoff Doc once won; `in_gmail`: the rep
    has a message open, which may carry a returned .xlsx copy."""
    slip = ""
    if row.close_slip_days and row.close_slip_days > 0:
        slip = f"{row.close_slip_days} days after the target"
    elif row.projected_close:
        slip = "on or before the target"
    facts = [
        _fact(
            "Health",
            HEALTH.get(row.health, row.health),
            "stale: no recent buyer progress" if row.stale else "",
        ),
        _fact(
            "Projected close",
            _day(row.projected_close),
            f"target {fmt(row.target_close)}" + (f" · {slip}" if slip else ""),
        ),
        _fact(
            "Current blocker",
            _esc(row.current_blocker) or "nothing is blocked",
            _esc(row.blocker_owner),
        ),
        _fact(
            "Next step",
            _esc(row.next_step) or "no open step",
            " · ".join(
                x
                for x in (
                    _esc(row.next_step_owner),
                    f"due {fmt(row.next_step_due)}" if row.next_step_due else "",
                )
                if x
            ),
        ),
        _fact("Buyer steps done", f"{row.buyer_steps_done} of {row.buyer_steps_total}"),
    ]
    state = [
        _fact(
            "Plan",
            LIFECYCLE.get(lifecycle, lifecycle),
            f"shared with {shared_with} people" if lifecycle == "shared" and shared_with else "",
        ),
        _fact(
            "Last sync",
            fmt(last_synced) if last_synced else "not synced yet",
            "" if row.sync_state == "ok" else _esc(row.sync_state),
        ),
    ]
    if row.problems:
        state.append(_fact("Cells to fix", f"{row.problems}", "each has a sync note in the Sheet"))
    buttons = [
        _button("Open Sheet", _link(links.sheet), filled=True),
        _button("Open Doc", _link(links.doc)),
        _button("Sync now", _action(actions.url("sync"), map_id=row.map_id)),
    ]
    if handoff:
        state.append(
            _fact("Handoff", "Customer-success handoff Doc", "open it", on_click=_link(handoff))
        )
    closed = lifecycle in ("lost", "archived")
    if lifecycle == "draft":
        buttons.append(
            _button("Share with buyer", _action(actions.url("share"), map_id=row.map_id))
        )
    if in_gmail and not closed:
        buttons.append(
            _button("Draft follow-up", _action(actions.url("followup"), map_id=row.map_id))
        )
        buttons.append(
            _button("Merge .xlsx from this email", _action(actions.url("merge"), map_id=row.map_id))
        )
    if not closed:
        state.append(
            _fact(
                "Buyer reminders",
                "On" if buyer_reminders else "Off",
                "polite emails to step owners, one a day at most"
                if buyer_reminders
                else "the buyer gets no reminder emails",
                on_click=_action(
                    actions.url("reminders"),
                    map_id=row.map_id,
                    on="no" if buyer_reminders else "yes",
                ),
            )
        )
    people: list[c.Widget] = []
    for email, name in offers:
        people.append(
            _fact(
                "Added by the buyer on the Stakeholders tab",
                _esc(f"{name} <{email}>" if name else email),
                "share the plan with them?",
            )
        )
        people.append(
            _buttons(
                _button(
                    "Share",
                    _action(actions.url("offer"), map_id=row.map_id, email=email, answer="yes"),
                ),
                _button(
                    "Not now",
                    _action(actions.url("offer"), map_id=row.map_id, email=email, answer="no"),
                ),
            )
        )
    if closed:
        deal = [_button("Reopen", _action(actions.url("reopen"), map_id=row.map_id))]
    else:
        deal = [
            _button(label, _action(actions.url("close"), map_id=row.map_id, outcome=outcome))
            for label, outcome in (("Won", "won"), ("Lost", "lost"), ("Archive", "archived"))
            if outcome != lifecycle
        ]
    return _card(
        row.deal,
        row.buyer_company,
        c.Card.Section(widgets=facts),
        c.Card.Section(
            header="Documents for the next step and the blocker",
            widgets=_resource_facts(row),
        ),
        c.Card.Section(header="In the CRM", widgets=_crm_facts(row, lifecycle, actions)),
        c.Card.Section(header="This plan", widgets=state),
        c.Card.Section(header="Waiting for you", widgets=people),
        c.Card.Section(widgets=[_buttons(*buttons)]),
        c.Card.Section(header="The deal", widgets=[_buttons(*deal)], collapsible=True),
        name=f"status-{row.map_id}",
    )


def _resource_facts(row: RollupRow) -> list[c.Widget]:
    """Each document the next step or the current blocker needs: its link to open, or
    "missing: title (from side: provider)" when the other side cannot open it yet."""
    widgets = []
    for r in row.resources:
        label = " · ".join(x for x in (", ".join(r.steps), r.kind) if x)
        title = _esc(r.title or r.link or "untitled document")
        if not r.missing and r.link:
            who = f"from {r.provided_by}" if r.provided_by else ""
            widgets.append(_fact(label, title, _esc(who) or "open it", on_click=_link(r.link)))
        else:
            who = f" (from {r.provided_by})" if r.provided_by else ""
            first = r.note.splitlines()[0] if r.note else ""
            widgets.append(_fact(label, f"missing: {title}{_esc(who)}", _esc(first)))
    if row.missing_resources:
        more = row.missing_resources - sum(1 for r in row.resources if r.missing)
        if more > 0:
            widgets.append(
                _para(
                    f"{more} more {'document' if more == 1 else 'documents'} missing for "
                    "later steps: see the Resources tab"
                )
            )
    return widgets


_CLOSES = (
    "Every buyer-side person loses access to the Sheet and the Doc, the plan stops "
    "syncing, and the record stays (in the roll-up too). You can reopen it later."
)
CLOSE_TEXT = {
    "won": (
        "Mark won",
        "A customer-success handoff Doc is written from the plan as it ran (goals, success "
        "criteria, who is who, open commitments and risks, planned vs actual dates). The "
        "plan keeps syncing as the onboarding plan.",
    ),
    "lost": ("Mark lost", _CLOSES),
    "archived": ("Archive", _CLOSES),
}


def close_card(map_id: str, deal: str, outcome: str, actions: Actions) -> c.Card:
    """Confirm won / lost / archived, with a note (why), before anything changes."""
    title, text = CLOSE_TEXT[outcome]
    note = _text_input("note", "Why (optional, kept with the record)", "", multiline=True)
    return _card(
        deal,
        title,
        c.Card.Section(widgets=[_para(_esc(text)), note]),
        c.Card.Section(
            widgets=[
                _buttons(
                    _button(
                        title,
                        _action(actions.url("close_confirm"), map_id=map_id, outcome=outcome),
                        filled=True,
                    ),
                    _button("Cancel", _action(actions.url("open"), map_id=map_id)),
                )
            ]
        ),
        name=f"close-{map_id}",
    )


def copy_card(
    map_id: str, deal: str, copy_name: str, copy_link: str, made_for: str, actions: Actions
) -> c.Card:
    """An .xlsx copy made for people who cannot open the live Sheet."""
    text = (
        "Download the copy and attach it to your email"
        + (f" to {_esc(made_for)}" if made_for else "")
        + ". When they reply with it edited, open their reply here and click "
        "<b>Merge .xlsx from this email</b>: their edits go into the live plan, and anything "
        "that conflicts with later edits is kept beside it in the sync note."
    )
    return _card(
        deal,
        "An .xlsx copy to send",
        c.Card.Section(
            widgets=[
                _para(text),
                _fact(".xlsx copy", _esc(copy_name), "open to download", on_click=_link(copy_link)),
            ]
        ),
        c.Card.Section(
            widgets=[_buttons(_button("Status", _action(actions.url("open"), map_id=map_id)))]
        ),
        name=f"copy-{map_id}",
    )


def merged_card(
    map_id: str, deal: str, lines: Sequence[tuple[str, str]], actions: Actions
) -> c.Card:
    """What merging a returned copy did: (label, text) per file and per finding."""
    return _card(
        deal,
        "Returned .xlsx merged",
        c.Card.Section(widgets=[_fact(label, _esc(text)) for label, text in lines]),
        c.Card.Section(
            widgets=[_buttons(_button("Status", _action(actions.url("open"), map_id=map_id)))]
        ),
        name=f"merged-{map_id}",
    )


@dataclass(frozen=True)
class Form:
    """What the create form shows: a guess from the thread, or what the rep typed."""

    deal: str = ""
    buyer_company: str = ""
    buyer_contacts: Sequence[str] = ()
    template: str = AUTO_TEMPLATE
    target_close: date | None = None
    close_reason: str = ""
    desired_outcome: str = ""
    deal_value: str = ""
    request_id: str = ""
    # The CRM (when one is configured): the rep's open deals that match the thread, offered
    # as (deal id, label); the one picked; its stage; a line when the CRM could not answer.
    crm: str = ""  # the CRM's name for people (Salesforce, HubSpot); "" without one
    deals: Sequence[tuple[str, str]] = ()
    crm_deal: str = ""
    stage: str = ""
    offer_import: bool = False  # Gmail: the message may carry a plan to import


def _text_input(
    name: str, label: str, value: str, hint: str = "", multiline: bool = False
) -> c.Widget:
    kind = c.TextInput.Type.MULTIPLE_LINE if multiline else c.TextInput.Type.SINGLE_LINE
    return c.Widget(
        text_input=c.TextInput(name=name, label=label, value=value, hint_text=hint, type_=kind)
    )


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _close_picker(form: Form) -> c.DateTimePicker:
    """The target close, as both the create and the import cards ask for it."""
    picker = c.DateTimePicker(
        name="target_close",
        label="Target close (the buyer's date)",
        type_=c.DateTimePicker.DateTimePickerType.DATE_ONLY,
    )
    if form.target_close:
        picker.value_ms_epoch = _ms(form.target_close)
    return picker


def create_form(
    form: Form,
    templates: Sequence[Template],
    actions: Actions,
    *,
    error: tuple[str, str] | None = None,
    note: str = "",
) -> c.Card:
    """Create MAP, prefilled; with `error` (field label, what to fix) shown at the top."""
    top: list[c.Widget] = []
    if error:
        top.append(_para(f'<font color="#b3261e"><b>{_esc(error[0])}</b>: {_esc(error[1])}</font>'))
    if note:
        top.append(_para(_esc(note)))
    items = [
        c.SelectionInput.SelectionItem(
            text="Pick by deal value (SMB, mid-market or enterprise)",
            value=AUTO_TEMPLATE,
            selected=form.template == AUTO_TEMPLATE,
        )
    ] + [
        c.SelectionInput.SelectionItem(
            text=f"{t.label}: {len(t.steps)} steps", value=t.name, selected=form.template == t.name
        )
        for t in templates
    ]
    picker = _close_picker(form)
    widgets = [*_deal_picker(form, actions)]
    widgets += [
        _text_input(
            "deal", "Deal name", form.deal, "from the subject; make it the buyer's project"
        ),
        _text_input("buyer_company", "Buyer company", form.buyer_company),
        _text_input(
            "buyer_contacts",
            "Buyer contacts",
            "\n".join(form.buyer_contacts),
            "one a line: Name <email>",
            multiline=True,
        ),
        _text_input("deal_value", "Deal value per year (USD)", form.deal_value, "e.g. 48000"),
        c.Widget(
            selection_input=c.SelectionInput(
                name="template",
                label="Template",
                type_=c.SelectionInput.SelectionType.DROPDOWN,
                items=items,
            )
        ),
        c.Widget(date_time_picker=picker),
        _text_input(
            "close_reason",
            "Why that date (their compelling event)",
            form.close_reason,
            "e.g. new fiscal year starts 1 Jul",
        ),
        _text_input(
            "desired_outcome",
            "Desired outcome, in the buyer's words",
            form.desired_outcome,
            multiline=True,
        ),
    ]
    if form.crm:
        widgets.append(_text_input("stage", f"Stage in {form.crm}", form.stage, "from the deal"))
    create = _button(
        "Create MAP",
        _action(actions.url("create"), request_id=form.request_id),
        filled=True,
    )
    more = []
    if form.offer_import:
        more.append(
            _button(
                "Import the plan attached to this email",
                _action(actions.url("import_attached"), request_id=form.request_id),
            )
        )
    return _card(
        "Create a Mutual Action Plan",
        "A draft Sheet and Doc; you share it when it is ready",
        c.Card.Section(widgets=top),
        c.Card.Section(widgets=widgets),
        c.Card.Section(widgets=[_buttons(create, *more)]),
        name="create",
    )


@dataclass(frozen=True)
class ImportView:
    """What the import card shows: the dry run's summary of an attached plan, and the form
    fields it fills in (the rep completes what the file does not say)."""

    file: str
    steps: int
    plan_where: str  # 'tab "Plan", header on row 4', or why no plan was found
    people: Sequence[str]  # buyer-side people with their emails
    target_close: date | None
    not_placed: Sequence[str]  # the first few cells with no place, as "A1: text"
    not_placed_count: int
    missing: Sequence[tuple[str, str]]  # (field label, what to do)
    form: Form
    before: str = ""  # "already imported as MAP-… on …", when it was
    # The tables that could be the plan: (where, label, taken); the rep may pick another.
    candidates: Sequence[tuple[str, str, bool]] = ()
    drive_item: str = ""  # a file selected in Drive (else an email's attachment)
    drive_xlsx: bool = False  # that file is an .xlsx (downloaded), not a Google Sheet


def import_card(
    view: ImportView, actions: Actions, *, error: tuple[str, str] | None = None
) -> c.Card:
    """Import as MAP: what the dry run understood, what it could not place, what it still
    needs; Create is one click from here, with the Create MAP form's checks."""
    form = view.form
    top: list[c.Widget] = []
    if error:
        top.append(_para(f'<font color="#b3261e"><b>{_esc(error[0])}</b>: {_esc(error[1])}</font>'))
    if view.before:
        top.append(_para(f"<b>Note</b>: this plan was {_esc(view.before)}."))
    facts = [
        _fact(
            "Plan", f"{view.steps} steps" if view.steps else "no plan found", _esc(view.plan_where)
        ),
        _fact(
            "Buyer people",
            _esc(", ".join(view.people[:4])) or "none with an email",
            f"and {len(view.people) - 4} more" if len(view.people) > 4 else "",
        ),
        _fact("Target close", _day(view.target_close) if view.target_close else "not in the file"),
        _fact(
            "Not placed",
            f"{view.not_placed_count} cells"
            if view.not_placed_count
            else "nothing: every cell has a place",
            _esc("; ".join(view.not_placed[:3])),
        ),
    ]
    if view.missing:
        facts.append(
            _fact(
                "Still needed", _esc(", ".join(label for label, _ in view.missing)), "fill in below"
            )
        )
    if len(view.candidates) > 1:  # the same choice as `mapctl import --table`
        facts.append(
            c.Widget(
                selection_input=c.SelectionInput(
                    name="plan_table",
                    label="The plan is this table",
                    type_=c.SelectionInput.SelectionType.DROPDOWN,
                    items=[
                        c.SelectionInput.SelectionItem(text=label, value=where, selected=taken)
                        for where, label, taken in view.candidates
                    ],
                    on_change_action=c.Action(
                        function=actions.url(
                            "drive_import" if view.drive_item else "import_attached"
                        ),
                        parameters=[
                            c.Action.ActionParameter(key="request_id", value=form.request_id),
                            c.Action.ActionParameter(key="file", value=view.file),
                            c.Action.ActionParameter(key="item", value=view.drive_item),
                        ],
                    ),
                )
            )
        )
    picker = _close_picker(form)
    fields = [
        _text_input("deal", "Deal name", form.deal),
        _text_input("buyer_company", "Buyer company", form.buyer_company),
        _text_input(
            "buyer_contacts",
            "Buyer contacts",
            "\n".join(form.buyer_contacts),
            "one a line: Name <email>",
            multiline=True,
        ),
        c.Widget(date_time_picker=picker),
    ]
    label = "Import it again as a new MAP" if view.before else "Create MAP from this plan"
    params = {"request_id": form.request_id, "file": view.file}
    if view.drive_item:
        params["item"] = view.drive_item
        if view.drive_xlsx:
            params["xlsx"] = "yes"
    taken = next((where for where, _, t in view.candidates if t), "")
    if taken:
        params["table"] = taken
    if view.before:
        params["again"] = "yes"
    create = _button(label, _action(actions.url("import_create"), **params), filled=True)
    return _card(
        "Import as MAP",
        view.file,
        c.Card.Section(widgets=top),
        c.Card.Section(widgets=facts),
        c.Card.Section(header="The new MAP", widgets=fields),
        c.Card.Section(widgets=[_buttons(create)]),
        name="import",
    )


def _deal_picker(form: Form, actions: Actions) -> list[c.Widget]:
    """The rep's open deals that match the thread: picking one fills in its value, stage and
    close date (the card comes back filled in); the MAP is linked to it at create."""
    if not form.crm or not form.deals:
        return []
    items = [
        c.SelectionInput.SelectionItem(
            text="No deal: link one later", value="", selected=not form.crm_deal
        )
    ] + [
        c.SelectionInput.SelectionItem(text=label, value=deal_id, selected=deal_id == form.crm_deal)
        for deal_id, label in form.deals
    ]
    return [
        c.Widget(
            selection_input=c.SelectionInput(
                name="crm_deal",
                label=f"{form.crm} deal",
                type_=c.SelectionInput.SelectionType.DROPDOWN,
                items=items,
                on_change_action=c.Action(
                    function=actions.url("deal"),
                    parameters=[c.Action.ActionParameter(key="request_id", value=form.request_id)],
                ),
            )
        )
    ]


def _crm_facts(row: RollupRow, lifecycle: str, actions: Actions) -> list[c.Widget]:
    """The linked deal as the CRM last said, with a link to it; when the CRM closed it,
    the matching Won / Lost is offered at once."""
    if not row.crm_deal and not row.crm_note:
        return []
    out: list[c.Widget] = []
    if row.crm_deal:
        amount = (
            f"{row.crm_currency or row.currency} {row.crm_amount:,.0f}"
            if row.crm_amount is not None
            else ""
        )
        bottom = " · ".join(
            x
            for x in (
                _esc(row.crm_stage),
                amount,
                f"close {fmt(row.crm_close)}" if row.crm_close else "",
            )
            if x
        )
        out.append(
            _fact(
                "CRM deal",
                _esc(row.crm_deal),
                bottom,
                on_click=_link(row.crm_link) if row.crm_link else None,
            )
        )
    if row.crm_note:
        out.append(_fact("CRM sync", f'<font color="#b3261e">{_esc(row.crm_note)}</font>'))
    if row.crm_closed and row.crm_closed != lifecycle:
        outcome = row.crm_closed
        out.append(_fact("The CRM says", f"Closed {outcome}", f"mark this plan {outcome} too?"))
        out.append(
            _buttons(
                _button(
                    f"Mark {outcome}",
                    _action(actions.url("close"), map_id=row.map_id, outcome=outcome),
                    filled=True,
                )
            )
        )
    return out


def created_card(
    map_id: str,
    deal: str,
    company: str,
    links: Links,
    actions: Actions,
    *,
    existing: bool,
    note: str = "",
) -> c.Card:
    lead = "This MAP was already created from this form." if existing else "Created as a draft."
    widgets = [
        _para(
            f"<b>{lead}</b> The buyer cannot see it yet. Next: open the Sheet, check the steps "
            "and dates (ideally with your champion on a call), then share it with the buyer."
        ),
        _fact("Sheet", "The plan: steps, owners, dates", on_click=_link(links.sheet)),
        _fact("Doc", "The story: outcome, why now, who decides", on_click=_link(links.doc)),
    ]
    if note:
        widgets.append(_para(_esc(note)))
    return _card(
        deal,
        f"{company} · draft",
        c.Card.Section(widgets=widgets),
        c.Card.Section(
            widgets=[
                _buttons(
                    _button("Open Sheet", _link(links.sheet), filled=True),
                    _button("Open Doc", _link(links.doc)),
                    _button("Share with buyer", _action(actions.url("share"), map_id=map_id)),
                    _button("Status", _action(actions.url("open"), map_id=map_id)),
                )
            ]
        ),
        name=f"created-{map_id}",
    )


@dataclass(frozen=True)
class Listed:
    row: RollupRow
    sheet_link: str


def map_list_card(maps: Sequence[Listed], actions: Actions, *, title: str, empty: str) -> c.Card:
    """The rep's MAPs, riskiest first, each opening its status card."""
    widgets: list[c.Widget] = []
    for item in maps:
        r = item.row
        widgets.append(
            c.Widget(
                decorated_text=c.DecoratedText(
                    top_label=HEALTH.get(r.health, r.health),
                    text=f"<b>{_esc(r.deal)}</b> · {_esc(r.buyer_company)}",
                    bottom_label=f"projected close {_day(r.projected_close)}"
                    f" · target {fmt(r.target_close)}",
                    wrap_text=True,
                    on_click=_action(actions.url("open"), map_id=r.map_id),
                    button=c.Button(text="Open", on_click=_link(item.sheet_link)),
                )
            )
        )
    if not widgets:
        widgets.append(_para(_esc(empty)))
    new = _button("Create a MAP", _action(actions.url("new")))
    return _card(
        title,
        f"{len(maps)} active" if maps else "",
        c.Card.Section(widgets=widgets),
        c.Card.Section(widgets=[_buttons(new)]),
        name="home",
    )


def share_card(
    deal: str,
    shared: Sequence[tuple[str, str]],
    refused: Sequence[tuple[str, str]],
    map_id: str,
    actions: Actions,
) -> c.Card:
    """Who was given access, and who could not be, with Google's reason for each; for
    those, the way round: an .xlsx copy to send and merge back."""
    widgets = [_fact("Added", f"{_esc(email)}", role) for email, role in shared]
    buttons = [_button("Status", _action(actions.url("open"), map_id=map_id))]
    if refused:
        widgets.append(
            _para(
                "<b>Could not be added</b>: ask them for an address with a Google account, or "
                "check both companies' sharing policies; nothing was shared by link. Or send "
                "them the plan as an .xlsx copy: their edits merge back when they reply."
            )
        )
        widgets += [_fact("Not added", _esc(email), _esc(reason)) for email, reason in refused]
        made_for = ", ".join(email for email, _ in refused)
        buttons.insert(
            0,
            _button(
                "Send an .xlsx copy instead",
                _action(actions.url("export"), map_id=map_id, made_for=made_for),
                filled=True,
            ),
        )
    if not shared and not refused:
        widgets.append(_para("Every buyer contact already has access."))
    return _card(
        deal,
        "Shared with the buyer" if shared else "Not shared",
        c.Card.Section(widgets=widgets),
        c.Card.Section(widgets=[_buttons(*buttons)]),
        name=f"shared-{map_id}",
    )


def error_card(text: str, ref: str, retry: str, actions: Actions) -> c.Card:
    """What a trigger shows when it failed: what happened, the reference the logs carry,
    and a Retry button that runs the trigger again (`retry`: home, gmail or drive).
    Google's manifest reference says a trigger function must return cards
    (https://developers.google.com/apps-script/manifest/homepage-trigger: "must return an
    array of Card objects"), so a bare notification there shows the rep nothing useful."""
    return _card(
        "Could not load the Mutual Action Plan",
        f"Reference {ref}",
        c.Card.Section(widgets=[_para(_esc(text))]),
        c.Card.Section(
            widgets=[_buttons(_button("Retry", _action(actions.url("retry"), trigger=retry), True))]
        ),
        name="error",
    )


def request_file_scope(item_id: str) -> Json:
    """Ask Drive for the one file the rep selected (drive.file): Drive shows its own consent
    for that file, then calls the add-on again with the item granted ("Drive actions",
    DriveItemsSelectedActionResponse.requestFileScope)."""
    return {
        "renderActions": {
            "hostAppAction": {"driveAction": {"requestFileScope": {"itemId": item_id}}}
        }
    }


def message_card(
    title: str, text: str, actions: Actions | None = None, *, import_item: str = ""
) -> c.Card:
    """A plain explanation (not a MAP file, nothing selected...); `import_item`: a
    spreadsheet that is not a MAP, offered for import."""
    buttons = [_button("Your MAPs", _action(actions.url("home")))] if actions else []
    if actions and import_item:
        buttons.insert(
            0,
            _button(
                "Import as MAP", _action(actions.url("drive_import"), item=import_item), filled=True
            ),
        )
    return _card(
        title,
        "",
        c.Card.Section(widgets=[_para(_esc(text))]),
        c.Card.Section(widgets=[_buttons(*buttons)] if buttons else []),
    )
