"""The sidebar's sharing and lifecycle cards over real HTTP, on the local workspace: a
refused invitation answered with an .xlsx copy, the buyer's reply with the edited copy
merged from Gmail (attachments read through the fake Gmail API), a stakeholder the buyer
added offered to the rep, won with the handoff Doc, lost revoking access."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from addon.web.sidebar import COMPOSE, MESSAGE_READONLY
from addon.workspace.local import LocalWorkspace
from tests.test_web_cards import THREAD, buttons, create, facts, only_card, widgets
from tests.web_env import Web, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _action(web: Web, name: str, host: str = "DRIVE", **kw: Any) -> dict[str, Any]:
    answer = web.post(f"/addon/actions/{name}", web.event(host, **kw))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _note(answer: dict[str, Any]) -> str:
    return str(answer["renderActions"]["action"].get("notification", {}).get("text", ""))


def _find_row(ws: Any, step_id: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == step_id)


def _columns(ws: Any) -> dict[str, int]:
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "ID")
    return {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}


def test_refused_invite_xlsx_copy_merged_from_the_buyers_reply(web: Web, tmp_path: Any) -> None:
    create(web)
    [row] = web.app.registry.maps()
    workspace = web.app.workspace
    assert isinstance(workspace, LocalWorkspace)
    # An address the local workspace cannot invite: refused on its own, the other is shared.
    web.app.registry.set_contacts(
        row.id, [*row.buyer_contacts, {"email": "ops@northwind", "name": "Ops"}]
    )
    web.app.registry.set_person(row.id, "ops@northwind", state="contact", today=row.created_on)
    shared = only_card(_action(web, "share", params={"map_id": row.id}))
    not_added = [w["decoratedText"] for w in widgets(shared) if "decoratedText" in w]
    assert [(f["text"], f["bottomLabel"]) for f in not_added if f["topLabel"] == "Not added"] == [
        ("ops@northwind", "not an email address")
    ]
    offer = buttons(shared)["Send an .xlsx copy instead"]
    params = {p["key"]: p["value"] for p in offer["action"]["parameters"]}
    assert params == {"map_id": row.id, "made_for": "ops@northwind"}

    copy = only_card(_action(web, "export", params=params))
    link = facts(copy)[".xlsx copy"]["onClick"]["openLink"]["url"]
    exported = [e for e in web.app.registry.exports(row.id)]
    assert len(exported) == 1 and exported[0].made_for == "ops@northwind"
    data = (web.settings.workspace / exported[0].ref).read_bytes()
    assert link.endswith(exported[0].ref.split("/")[-1].replace(" ", "%20"))

    # The buyer edits the copy in Excel: S01 done, and a stakeholder added.
    wb = load_workbook(io.BytesIO(data))
    plan, people = wb["Plan"], wb["Stakeholders"]
    plan.cell(_find_row(plan, "S01"), _columns(plan)["Status"]).value = "✅ Done"
    last = max(r for r in range(1, people.max_row + 1) if people.cell(r, 1).value)
    for c, value in enumerate(["Omar Haddad", "omar@northwind.example.com", "Buyer"], start=1):
        people.cell(last + 1, c).value = value
    out = io.BytesIO()
    wb.save(out)
    reply = [("From", "Ops <ops@northwind.example.com>"), *THREAD[1:]]
    message = web.fake.add_message(
        reply, attachments=[("MAP copy (edited).xlsx", XLSX, out.getvalue())]
    )

    # Opened from the reply, the status card offers the merge; it asks for the read scope.
    status = only_card(web.post("/addon/gmail", web.event(gmail=message)).json())
    assert "Merge .xlsx from this email" in buttons(status)
    granted = [s for s in web.event()["authorizationEventObject"]["authorizedScopes"]]
    narrow = [s for s in granted if s != MESSAGE_READONLY]
    asked = _action(web, "merge", "GMAIL", params={"map_id": row.id}, gmail=message, scopes=narrow)
    assert asked == {"requesting_google_scopes": {"scopes": [MESSAGE_READONLY]}}

    merged = only_card(_action(web, "merge", "GMAIL", params={"map_id": row.id}, gmail=message))
    found = facts(merged)
    assert found["MAP copy (edited).xlsx"]["text"].startswith("1 edits applied, 1 rows added")
    assert ["full"] in [c.query["format"] for c in web.fake.calls("gmail.users.messages.get")]
    assert web.fake.calls("gmail.users.messages.attachments.get")
    live = load_workbook(web.settings.workspace / row.sheet_ref)["Plan"]
    assert live.cell(_find_row(live, "S01"), _columns(live)["Status"]).value == "✅ Done"
    after = web.app.registry.get(row.id)
    assert after.last_buyer_editor == "ops@northwind.example.com"

    # The stakeholder the buyer added is offered, not shared; the rep says yes.
    status = only_card(_action(web, "open", params={"map_id": row.id}))
    offered = facts(status)["Added by the buyer on the Stakeholders tab"]
    assert offered["text"] == "Omar Haddad &lt;omar@northwind.example.com&gt;"
    assert "omar@northwind.example.com" not in {a["email"] for a in workspace.access(row.sheet_ref)}
    yes = _action(
        web,
        "offer",
        params={"map_id": row.id, "email": "omar@northwind.example.com", "answer": "yes"},
    )
    assert _note(yes) == "Shared with omar@northwind.example.com"
    assert "omar@northwind.example.com" in {a["email"] for a in workspace.access(row.sheet_ref)}
    assert "Added by the buyer on the Stakeholders tab" not in facts(only_card(yes))


def test_won_makes_the_handoff_then_archive_revokes_and_reopen(web: Web) -> None:
    create(web)
    [row] = web.app.registry.maps()
    workspace = web.app.workspace
    assert isinstance(workspace, LocalWorkspace)
    _action(web, "share", params={"map_id": row.id})
    status = only_card(_action(web, "open", params={"map_id": row.id}))
    assert {"Won", "Lost", "Archive"} <= set(buttons(status))

    confirm = only_card(_action(web, "close", params={"map_id": row.id, "outcome": "won"}))
    assert "handoff" in str(confirm) and "Mark won" in buttons(confirm)
    assert web.app.registry.get(row.id).lifecycle == "shared"  # nothing changes before confirm
    won = _action(
        web,
        "close_confirm",
        params={"map_id": row.id, "outcome": "won"},
        form={"note": text("3-year deal, signed early")},
    )
    assert "handoff Doc is ready" in _note(won)
    after = web.app.registry.get(row.id)
    assert after.lifecycle == "won" and after.closed_note == "3-year deal, signed early"
    assert after.handoff_ref and (web.settings.workspace / after.handoff_ref).exists()
    html = (web.settings.workspace / after.handoff_ref).read_text()
    assert "One dashboard the board trusts" in html  # the buyer's goals, in their words
    assert "First agreed" in html and "Commitments still open" in html
    assert "Handoff" in facts(only_card(won))

    lost = _action(web, "close_confirm", params={"map_id": row.id, "outcome": "archived"})
    assert "access removed for 2 people" in _note(lost)
    assert workspace.access(row.sheet_ref) == []
    card = only_card(lost)
    assert "Reopen" in buttons(card) and "Won" not in buttons(card)
    reopened = _action(web, "reopen", params={"map_id": row.id})
    assert web.app.registry.get(row.id).lifecycle == "draft"
    assert "Share with buyer" in buttons(only_card(reopened))


def test_draft_follow_up_creates_a_gmail_reply_to_the_buyer(web: Web) -> None:
    create(web)
    [row] = web.app.registry.maps()
    _action(web, "share", params={"map_id": row.id})
    # The last sync's agenda: S01 is late (a week past due), the rest come after.
    web.app.registry.update(
        row.id,
        agenda=[
            {
                "step_id": "S01",
                "step": "Champion confirms the business problem",
                "owner": "Dana Whitfield",
                "side": "buyer",
                "due": "2026-03-06",
                "days_late": 4,
                "health": "overdue",
                "consequence": "",
            },
            {
                "step_id": "S02",
                "step": "Security review scheduled",
                "owner": "Lee Chen",
                "side": "buyer",
                "due": "2026-03-13",
                "days_late": 0,
                "health": "due_soon",
                "consequence": "",
            },
            {
                "step_id": "S05",
                "step": "Order form sent",
                "owner": "Sam Rivera",
                "side": "seller",
                "due": "2026-03-16",
                "days_late": 0,
                "health": "on_track",
                "consequence": "",
            },
        ],
    )
    headers = [*THREAD, ("Message-ID", "<CAbuyer-1@mail.northwind.example.com>")]
    message = web.fake.add_message(headers)
    status = only_card(web.post("/addon/gmail", web.event(gmail=message)).json())
    assert "Draft follow-up" in buttons(status)
    assert facts(status)["Buyer reminders"]["text"] == "On"

    narrow = [
        s for s in web.event()["authorizationEventObject"]["authorizedScopes"] if s != COMPOSE
    ]
    asked = _action(
        web, "followup", "GMAIL", params={"map_id": row.id}, gmail=message, scopes=narrow
    )
    assert asked == {"requesting_google_scopes": {"scopes": [COMPOSE]}}
    assert web.fake.drafts == []

    answer = _action(web, "followup", "GMAIL", params={"map_id": row.id}, gmail=message)
    [draft] = web.fake.drafts
    markup = answer["renderActions"]["hostAppAction"]["gmailAction"]
    assert markup == {
        "openCreatedDraftActionMarkup": {"draftId": draft["id"], "draftThreadId": message[0]}
    }
    assert draft["threadId"] == message[0]
    mail = draft["message"]
    assert "dana@northwind.example.com" in mail["To"]
    assert mail["Subject"] == "RE: Fwd: [EXTERNAL] Analytics platform rollout"
    assert mail["In-Reply-To"] == "<CAbuyer-1@mail.northwind.example.com>"
    body = mail.get_body(("plain",)).get_content()
    assert body.startswith("Hi Dana")
    assert "Where we could use your help:\n- Champion confirms the business problem" in body
    assert (
        "was due 6 Mar 2026" in body and "Security review scheduled (Lee Chen): due 13 Mar" in body
    )
    assert "On our side:\n- Order form sent (Sam Rivera): due 16 Mar 2026" in body
    assert web.app.workspace.link(row.sheet_ref) in body

    # Buyer reminders are one click off (and on again) from the same card.
    off = only_card(_action(web, "reminders", params={"map_id": row.id, "on": "no"}))
    assert facts(off)["Buyer reminders"]["text"] == "Off"
    assert web.app.registry.get(row.id).buyer_reminders is False
