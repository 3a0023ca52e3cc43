"""What each add-on endpoint does once the request is verified: event and rep in, the JSON
answer out. The HTTP layer (addon/web/__init__.py) verifies and logs; the local preview
(addon/web/preview.py) calls the same methods with events it builds.

Who may see a MAP: the rep who made it and colleagues on the same email domain (the seller's
company); anyone else is told there is no such MAP.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from googleapiclient.errors import HttpError

from addon.app import App
from addon.errors import InputError, MapError, NotFound, WorkspaceError
from addon.maps import parse_contact
from addon.registry.models import MapRow
from addon.sync import ACTIVE, rollup_rows, sync_map
from addon.web import cards
from addon.web.cards import Actions, Form, Json, Links, Listed
from addon.web.events import Event
from addon.web.gmail import MessageReader
from addon.web.prefill import prefill
from addon.web.verify import Rep
from addon.workspace.base import Invite, Workspace
from addon.workspace.open import open_workspace

SCOPE = "https://www.googleapis.com/auth/"
EXECUTE = SCOPE + "gmail.addons.execute"
MESSAGE_METADATA = SCOPE + "gmail.addons.current.message.metadata"
DRIVE_METADATA = SCOPE + "drive.addons.metadata.readonly"
DRIVE_FILE = SCOPE + "drive.file"
EMAIL = SCOPE + "userinfo.email"
# Every scope the add-on asks for (the deployment descriptor must list exactly these).
ADDON_SCOPES = (EXECUTE, MESSAGE_METADATA, DRIVE_METADATA, DRIVE_FILE, EMAIL)

FIELD_LABELS = {
    "deal": "Deal name",
    "buyer_company": "Buyer company",
    "buyer_contacts": "Buyer contacts",
    "deal_value": "Deal value",
    "template": "Template",
    "target_close": "Target close",
    "close_reason": "Why that date",
    "desired_outcome": "Desired outcome",
    "time_zone": "Time zone",
    "locale": "Locale",
    "rep_email": "Your email",
    "rep_name": "Your name",
}
_MONEY = re.compile(r"^\s*[$€£]?\s*([0-9][0-9,.\s]*)\s*([kKmM]?)\s*(?:[A-Za-z]{3})?\s*$")
MAX_LISTED = 50


def parse_money(text: str) -> float | None:
    """'48000', '$48,000', '48k', '1.2M' -> a number; '' -> None; anything else: InputError."""
    if not text.strip():
        return None
    m = _MONEY.match(text)
    if not m:
        raise InputError("deal_value", f'"{text}" is not an amount; write it like 48000 or 48k')
    digits = m[1].replace(",", "").replace(" ", "")
    try:
        value = float(digits)
    except ValueError:
        raise InputError(
            "deal_value", f'"{text}" is not an amount; write it like 48000 or 48k'
        ) from None
    return value * {"": 1, "k": 1e3, "m": 1e6}[m[2].lower()]


class Sidebar:
    def __init__(
        self,
        app: App,
        reader: MessageReader,
        base_url: str,
        *,
        link: Callable[[str], str] | None = None,
        seller_domains: tuple[str, ...] = (),
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.app, self.reader = app, reader
        self.actions = Actions(base_url.rstrip("/"))
        self.link = link or app.workspace.link
        self.seller_domains = seller_domains
        self.now = now

    # --- scopes -------------------------------------------------------------------------

    def needed(self, endpoint: str) -> tuple[str, ...]:
        """The scopes an endpoint uses; creating and sharing act on Drive as the rep."""
        acts_on_drive = self.app.settings.backend == "google"
        return {
            "gmail": (EXECUTE, MESSAGE_METADATA, EMAIL),
            "drive": (DRIVE_METADATA, EMAIL),
            "create": (DRIVE_FILE, EMAIL) if acts_on_drive else (EMAIL,),
            "share": (DRIVE_FILE, EMAIL) if acts_on_drive else (EMAIL,),
        }.get(endpoint, (EMAIL,))

    def missing_scopes(self, endpoint: str, event: Event) -> list[str]:
        granted = event.auth.authorized_scopes
        if granted is None:  # the host did not say: assume the install granted them
            return []
        return [s for s in self.needed(endpoint) if s not in granted]

    # --- helpers ------------------------------------------------------------------------

    def _visible(self, row: MapRow, rep: Rep) -> bool:
        return row.rep_email.rpartition("@")[2] == rep.email.rpartition("@")[2]

    def _map(self, map_id: str, rep: Rep) -> MapRow:
        row = self.app.registry.get(map_id) if map_id else None
        if row is None or not self._visible(row, rep):
            raise NotFound(f"no MAP {map_id!r} that you can see")
        return row

    def _links(self, row: MapRow) -> Links:
        return Links(self.link(row.sheet_ref), self.link(row.doc_ref))

    def _status(self, row: MapRow) -> Any:
        view = rollup_rows([row], self.app.registry)[0]
        return cards.status_card(
            view,
            self._links(row),
            self.actions,
            lifecycle=row.lifecycle,
            last_synced=row.last_synced_on,
        )

    def _listing(self, rows: list[MapRow], title: str, empty: str) -> Any:
        views = rollup_rows(rows[:MAX_LISTED], self.app.registry)
        by_id = {r.id: r for r in rows}
        listed = [Listed(v, self.link(by_id[v.map_id].sheet_ref)) for v in views]
        return cards.map_list_card(listed, self.actions, title=title, empty=empty)

    def _workspace_for(self, event: Event, rep: Rep) -> Workspace:
        """Create and share act as the rep (their OAuth token from the event)."""
        if self.app.settings.backend == "local":
            return self.app.workspace
        return open_workspace(
            self.app.settings.model_copy(
                update={
                    "google_auth": "user",
                    "google_user_token": event.auth.user_oauth_token,
                    "google_user_email": rep.email,
                }
            )
        )

    # --- triggers -----------------------------------------------------------------------

    def _home_card(self, rep: Rep) -> Any:
        return self._listing(
            self.app.registry.maps_of_rep(rep.email, ACTIVE),
            "Your Mutual Action Plans",
            "No MAPs yet. Open a buyer's email in Gmail and click Create MAP, or start one here.",
        )

    def home(self, event: Event, rep: Rep) -> Json:
        return cards.push(self._home_card(rep))

    def gmail(self, event: Event, rep: Rep) -> Json:
        headers = self.reader.headers(event)
        guess = prefill(headers, rep.email, self.seller_domains)
        emails = [parse_contact(c).email for c in guess.contacts]
        naming, same_domain = self.app.registry.maps_for_buyers(emails, guess.domains, ACTIVE)
        naming = [r for r in naming if self._visible(r, rep)]
        same_domain = [r for r in same_domain if self._visible(r, rep)]
        if len(naming) == 1 or (not naming and len(same_domain) == 1):
            return cards.push(self._status((naming or same_domain)[0]))
        found = naming + same_domain
        if found:
            company = guess.company or found[0].buyer_company
            return cards.push(self._listing(found, f"MAPs with {company}", ""))
        form = Form(
            deal=guess.deal,
            buyer_company=guess.company,
            buyer_contacts=guess.contacts,
            request_id=uuid.uuid4().hex,
        )
        note = "" if guess.contacts else "No buyer address on this message: add the contacts."
        return cards.push(cards.create_form(form, self._templates(), self.actions, note=note))

    def drive(self, event: Event, rep: Rep) -> Json:
        items = event.drive.selected_items if event.drive else []
        for item in items:
            row = self.app.registry.by_sheet(item.id)
            if row is not None and self._visible(row, rep):
                return cards.push(self._status(row))
        title = items[0].title if items else "Nothing selected"
        text = (
            "This file is not a MAP Sheet. Select a MAP's Sheet to see its status, "
            "or open your MAPs."
            if items
            else "Select a MAP Sheet to see its status."
        )
        return cards.push(cards.message_card(title, text, self.actions))

    # --- actions ------------------------------------------------------------------------

    def open(self, event: Event, rep: Rep) -> Json:
        return cards.update(self._status(self._map(event.param("map_id"), rep)))

    def home_action(self, event: Event, rep: Rep) -> Json:
        """Back to the rep's MAPs from a card."""
        return cards.update(self._home_card(rep))

    def new(self, event: Event, rep: Rep) -> Json:
        form = Form(request_id=uuid.uuid4().hex)
        return cards.update(cards.create_form(form, self._templates(), self.actions))

    def _templates(self) -> list[Any]:
        order = {"smb": 0, "mid_market": 1, "enterprise": 2}
        return sorted(self.app.templates.values(), key=lambda t: (order.get(t.name, 3), t.name))

    def create(self, event: Event, rep: Rep) -> Json:
        typed = Form(
            deal=event.text("deal"),
            buyer_company=event.text("buyer_company"),
            buyer_contacts=_contacts(event.texts("buyer_contacts")),
            template=event.text("template") or cards.AUTO_TEMPLATE,
            target_close=event.day("target_close"),
            close_reason=event.text("close_reason"),
            desired_outcome=event.text("desired_outcome"),
            deal_value=event.text("deal_value"),
            request_id=event.param("request_id"),
        )
        today = self.app.today_in(event.zone)
        try:
            value = parse_money(typed.deal_value)
            if typed.target_close is None:
                raise InputError(
                    "target_close", "is required: pick the date the buyer wants to decide by"
                )
            template = typed.template
            if template == cards.AUTO_TEMPLATE:
                template = cards.template_for_value(value, list(self.app.templates))
            data: dict[str, Any] = {
                "deal": typed.deal,
                "buyer_company": typed.buyer_company,
                "buyer_contacts": list(typed.buyer_contacts),
                "target_close": typed.target_close,
                "close_reason": typed.close_reason,
                "desired_outcome": typed.desired_outcome,
                "template": template,
                "deal_value": value,
                "rep_name": rep.name or rep.email.partition("@")[0],
                "rep_email": rep.email,
                "locale": event.locale,
                "time_zone": event.zone,
                "idempotency_key": f"addon:{rep.email}:{typed.request_id}"
                if typed.request_id
                else None,
            }
            workspace = self._workspace_for(event, rep)
            created = self.app.create(data, today, self.now(), workspace=workspace)
        except InputError as exc:
            field = exc.field.split(".")[0]
            error = (FIELD_LABELS.get(field, field), exc.detail)
            card = cards.create_form(typed, self._templates(), self.actions, error=error)
            return cards.update(card)
        row = self.app.registry.get(created.map_id)
        note = ""
        if created.compressed_from_days:
            note = (
                f"The {row.template} template spans {created.compressed_from_days} days and the "
                f"target close is {(row.target_close - today).days} days away: the dates were "
                "compressed to fit; review them with the buyer."
            )
        return cards.update(
            cards.created_card(
                row.id,
                row.deal,
                row.buyer_company,
                self._links(row),
                self.actions,
                existing=created.existing,
                note=note,
            )
        )

    def sync(self, event: Event, rep: Rep) -> Json:
        """Sync this MAP now, as the background sync would (the service's own account)."""
        row = self._map(event.param("map_id"), rep)
        result = sync_map(
            row,
            workspace=self.app.workspace,
            registry=self.app.registry,
            today=self.app.today_of(row),
        )
        text = {
            "written": "Synced: computed columns updated",
            "unchanged": "Up to date: nothing changed since the last sync",
            "failed": f"Could not sync: {result.message}",
            "skipped": f"Not synced: {result.message}",
        }[result.outcome]
        if result.problems:
            text += f"; {result.problems} cell(s) need a fix (see the sync notes)"
        return cards.update(self._status(self.app.registry.get(row.id)), note=text)

    def share(self, event: Event, rep: Rep) -> Json:
        """Invite the buyer contacts: editors on the Sheet, commenters on the Doc."""
        row = self._map(event.param("map_id"), rep)
        people = [c["email"] for c in row.buyer_contacts]
        invites = [Invite(e, "writer", row.sheet_ref) for e in people] + [
            Invite(e, "commenter", row.doc_ref) for e in people
        ]
        message = (
            f"{row.rep_name} shared the Mutual Action Plan for {row.deal}: the steps from here "
            "to a decision, who owns each, and by when. Edit the Sheet directly: status, dates, "
            "owners, notes and new steps."
        )
        results = self._workspace_for(event, rep).share(invites, message)
        ok = {r.invite.email for r in results if r.ok and r.invite.file == row.sheet_ref}
        refused: dict[str, str] = {}
        for r in results:
            if not r.ok:
                refused.setdefault(r.invite.email, r.reason or "refused")
        shared = [
            (e, "can edit the Sheet, comment on the Doc")
            for e in people
            if e in ok and e not in refused
        ]
        if ok:
            self.app.registry.update(row.id, lifecycle="shared")
        card = cards.share_card(row.deal, shared, sorted(refused.items()), row.id, self.actions)
        return cards.update(card)


def _contacts(values: list[str]) -> list[str]:
    """The contacts box: one a line (or separated by ';')."""
    out = []
    for value in values:
        out += [p.strip() for p in re.split(r"[\n;]+", value) if p.strip()]
    return out


def google_failure(exc: HttpError) -> str:
    status = exc.resp.status
    if status in (401, 403):
        return (
            "Google refused the request (your access may have expired): reopen the add-on "
            "and try again. Nothing was changed."
        )
    if status == 429:
        return "Google is busy (rate limit): wait a minute and try again. Nothing was changed."
    return f"Google answered {status}: try again in a moment. Nothing was changed."


def failure_text(exc: Exception) -> str:
    """What the rep reads when an action failed: never a stack trace."""
    if isinstance(exc, HttpError):
        return google_failure(exc)
    if isinstance(exc, WorkspaceError):
        return f"Could not use the MAP's files: {exc}"
    if isinstance(exc, MapError):
        return str(exc)
    return ""
