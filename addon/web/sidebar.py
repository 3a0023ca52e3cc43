"""What each add-on endpoint does once the request is verified: event and rep in, the JSON
answer out. The HTTP layer (addon/web/__init__.py) verifies and logs; the local preview
(addon/web/preview.py) calls the same methods with events it builds.

Who may see a MAP: the rep who made it and colleagues on the same email domain (the seller's
company); anyone else is told there is no such MAP.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from addon.alerts import followup
from addon.app import App
from addon.crm.base import CrmError
from addon.errors import InputError, MapError, NotFound, WorkspaceError
from addon.google.clients import service
from addon.google.transport import PacedHttp, authorized_http
from addon.importing import Given
from addon.lifecycle import close_map
from addon.lifecycle import reopen as reopen_map
from addon.maps import parse_contact
from addon.plan.adopt import Source
from addon.plan.crm import Deal
from addon.plan.dates import fmt
from addon.prefill import prefill
from addon.registry.models import MapRow
from addon.sharing import add_contact, decline, export_copy, merge_copy, share_map
from addon.sync import ACTIVE, rollup_rows, sync_map
from addon.web import cards
from addon.web.cards import Actions, Form, Json, Links, Listed
from addon.web.events import Event
from addon.web.gmail import MessageReader
from addon.web.verify import Rep
from addon.workspace.google import SHEET_MIME, XLSX_MIME, GoogleWorkspace
from addon.workspace.sources import source_keys
from addon.workspace.xlsx import source_grids

SCOPE = "https://www.googleapis.com/auth/"
EXECUTE = SCOPE + "gmail.addons.execute"
MESSAGE_METADATA = SCOPE + "gmail.addons.current.message.metadata"
DRIVE_METADATA = SCOPE + "drive.addons.metadata.readonly"
# Import as MAP in Drive: the one spreadsheet the rep selects and grants (requestFileScope);
# drive.file reaches no other file of theirs.
DRIVE_FILE = SCOPE + "drive.file"
MESSAGE_READONLY = SCOPE + "gmail.addons.current.message.readonly"  # attachments, on Merge
COMPOSE = SCOPE + "gmail.addons.current.action.compose"  # the follow-up draft, on click
EMAIL = SCOPE + "userinfo.email"
# The rep's locale and time zone in every event (commonEventObject.userLocale, .timeZone):
# with `useLocaleFromApp: true` Google sends them only when this scope is granted
# (https://developers.google.com/workspace/add-ons/guides/access-user-locale-timezone).
# Without them a MAP would be made en/UTC, its "today" in UTC.
LOCALE = SCOPE + "script.locale"
# Every scope the add-on asks for (the deployment descriptor must list exactly these).
ADDON_SCOPES = (
    EXECUTE,
    MESSAGE_METADATA,
    MESSAGE_READONLY,
    COMPOSE,
    DRIVE_METADATA,
    DRIVE_FILE,
    EMAIL,
    LOCALE,
)

log = logging.getLogger(__name__)

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
    "crm_deal": "CRM deal",
    "stage": "Stage",
}


def _table_start(where: str) -> str | None:
    """'Plan!A4:F19' (a candidate) -> 'Plan!A4', the header row's first cell, as --table."""
    return where.split(":", 1)[0] if where else None


def deal_label(deal: Deal) -> str:
    """A deal as the create form's dropdown offers it."""
    amount = f"{deal.currency} {deal.amount:,.0f}".strip() if deal.amount is not None else ""
    close = f"close {fmt(deal.close_date)}" if deal.close_date else ""
    return " · ".join(x for x in (deal.name, deal.stage_label, amount, close) if x)


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
        """The scopes an endpoint uses of the rep's token: Gmail's only. Drive files are
        made, shared and changed by the service's own account (the Shared Drive's content
        manager), never with the rep's token."""
        return {
            "gmail": (EXECUTE, MESSAGE_METADATA, EMAIL),
            "drive": (DRIVE_METADATA, EMAIL),
            "merge": (MESSAGE_READONLY, EMAIL),
            "followup": (COMPOSE, MESSAGE_METADATA, EMAIL),
            "import_attached": (MESSAGE_READONLY, EMAIL),
            "drive_import": (DRIVE_FILE, EMAIL),
            # A MAP takes the rep's locale and time zone: never make one without them.
            "create": (EMAIL, LOCALE),
        }.get(endpoint, (EMAIL,))

    def missing_scopes(self, endpoint: str, event: Event) -> list[str]:
        if endpoint == "retry":  # the error card's Retry runs a trigger: that trigger's scopes
            endpoint = self.trigger_of(event)
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

    def _status(self, row: MapRow, event: Event | None = None) -> Any:
        view = rollup_rows([row], self.app.registry)[0]
        people = self.app.registry.people(row.id)
        return cards.status_card(
            view,
            self._links(row),
            self.actions,
            lifecycle=row.lifecycle,
            last_synced=row.last_synced_on,
            shared_with=sum(1 for p in people if p.state == "shared"),
            offers=[(p.email, p.name) for p in people if p.state == "offered"],
            handoff=self.link(row.handoff_ref) if row.handoff_ref else "",
            in_gmail=bool(event and event.gmail and event.gmail.message_id),
            buyer_reminders=row.buyer_reminders,
        )

    def _listing(self, rows: list[MapRow], title: str, empty: str) -> Any:
        views = rollup_rows(rows[:MAX_LISTED], self.app.registry)
        by_id = {r.id: r for r in rows}
        listed = [Listed(v, self.link(by_id[v.map_id].sheet_ref)) for v in views]
        return cards.map_list_card(listed, self.actions, title=title, empty=empty)

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
            return cards.push(self._status((naming or same_domain)[0], event))
        found = naming + same_domain
        if found:
            company = guess.company or found[0].buyer_company
            return cards.push(self._listing(found, f"MAPs with {company}", ""))
        deals, trouble = self._offered(rep, emails, guess.domains)
        form = Form(
            deal=guess.deal,
            buyer_company=guess.company,
            buyer_contacts=guess.contacts,
            request_id=uuid.uuid4().hex,
            crm=self.app.crm.label if self.app.crm else "",
            deals=[(d.id, deal_label(d)) for d in deals],
            offer_import=True,
        )
        note = "" if guess.contacts else "No buyer address on this message: add the contacts."
        note = " ".join(x for x in (note, trouble) if x)
        return cards.push(cards.create_form(form, self._templates(), self.actions, note=note))

    # --- Import as MAP: a plan attached to the open email ---------------------------------

    def _attached(self, event: Event, name: str = "") -> tuple[str, bytes] | None:
        books = [b for b in self.reader.workbooks(event) if not name or b[0] == name]
        return books[0] if books else None

    def _understood(
        self, event: Event, rep: Rep, name: str, data: bytes, form: Form, table: str = ""
    ) -> Any:
        try:
            grids, merges = source_grids(data)
        except ValueError as exc:
            raise InputError("file", f"{name}: {exc}") from None
        source = Source(name, grids, merges)
        return source, self._understood_source(event, rep, source, form, table)

    def _understood_source(
        self, event: Event, rep: Rep, source: Source, form: Form, table: str = ""
    ) -> Any:
        given = Given(
            rep_name=rep.name or rep.email.partition("@")[0],
            rep_email=rep.email,
            deal=form.deal,
            buyer_company=form.buyer_company,
            contacts=tuple(form.buyer_contacts),
            target_close=form.target_close,
            time_zone=event.zone,
            table=_table_start(table),
        )
        return self.app.understand(source, given, self.app.today_in(event.zone))

    def _import_view(self, name: str, imported: Any, keys: list[str], form: Form) -> Any:
        r = imported.report
        where = (
            f'tab "{r.plan_tab}", header on row {r.header_row}' if r.plan_tab else "no plan table"
        )
        data = imported.data
        filled = replace(
            form,
            deal=form.deal or str(data.get("deal") or ""),
            buyer_company=form.buyer_company or str(data.get("buyer_company") or ""),
            buyer_contacts=form.buyer_contacts or list(data.get("buyer_contacts") or []),
            target_close=form.target_close or data.get("target_close"),
        )
        return cards.ImportView(
            file=name,
            steps=len(r.steps),
            plan_where=where,
            people=[c for c in data.get("buyer_contacts") or []],
            target_close=data.get("target_close"),
            not_placed=[f"{u.tab}!{u.cell}: {u.value[:40]}" for u in r.unplaced],
            not_placed_count=len(r.unplaced),
            missing=[
                (FIELD_LABELS.get(e.field.split(".")[0], e.field), e.detail)
                for e in imported.missing
                if e.field not in ("rep_name", "rep_email")
            ],
            form=filled,
            before=self.app.already_imported(keys) or "",
            candidates=[
                (c.where, f"{c.where}: {c.evidence}"[:90], c.taken) for c in r.candidates[:6]
            ],
        )

    def import_attached(self, event: Event, rep: Rep) -> Json:
        """The create form's "Import the plan attached to this email": the dry run's card."""
        found = self._attached(event, event.param("file"))
        if found is None:
            return cards.notify("No .xlsx attached to this email: open the message with the plan")
        name, data = found
        typed = self._typed(event)
        form = replace(typed, request_id=typed.request_id or uuid.uuid4().hex)
        try:
            source, imported = self._understood(
                event, rep, name, data, form, event.text("plan_table")
            )
        except InputError as exc:
            return cards.notify(f"{exc.field}: {exc.detail}")
        view = self._import_view(name, imported, source_keys(source), form)
        return cards.update(cards.import_card(view, self.actions))

    def import_create(self, event: Event, rep: Rep) -> Json:
        """Create the MAP from the attached plan (or the Sheet selected in Drive), with what
        the rep completed on the card."""
        name, item_id = event.param("file"), event.param("item")
        form = self._typed(event)
        try:
            if item_id:
                source = self._rep_file(event, item_id, name, event.param("xlsx") == "yes")
                imported = self._understood_source(event, rep, source, form, event.param("table"))
            else:
                found = self._attached(event, name)
                if found is None:
                    return cards.notify(f"{name} is no longer attached to this email")
                source, imported = self._understood(
                    event, rep, name, found[1], form, event.param("table")
                )
        except (InputError, WorkspaceError) as exc:
            return cards.notify(str(exc))
        keys = source_keys(source, item_id or None)
        view = replace(
            self._import_view(name, imported, keys, form),
            drive_item=item_id,
            drive_xlsx=event.param("xlsx") == "yes",
        )
        if view.before and event.param("again") != "yes":
            return cards.update(cards.import_card(view, self.actions))
        wanted = [e for e in imported.missing if e.field not in ("rep_name", "rep_email")]
        if wanted:
            field = wanted[0].field.split(".")[0]
            error = (FIELD_LABELS.get(field, field), wanted[0].detail)
            return cards.update(cards.import_card(view, self.actions, error=error))
        day = self.app.today_in(event.zone)
        try:
            done = self.app.import_map(imported, day, self.now())
        except InputError as exc:
            field = exc.field.split(".")[0]
            error = (FIELD_LABELS.get(field, field), exc.detail)
            return cards.update(cards.import_card(view, self.actions, error=error))
        created = done.created
        assert created is not None
        self.app.registry.add_import_keys(
            created.map_id, keys, f"{name} ({'Drive' if item_id else 'Gmail'})", day
        )
        row = self.app.registry.get(created.map_id)
        return cards.update(
            cards.created_card(
                row.id,
                row.deal,
                row.buyer_company,
                self._links(row),
                self.actions,
                existing=created.existing,
                note=f"Imported from {name}: {len(done.report.steps)} steps, "
                f"{len(done.report.unplaced)} cells not placed "
                "(mapctl import --dry-run lists them).",
            )
        )

    def _offered(
        self, rep: Rep, emails: Sequence[str], domains: Sequence[str]
    ) -> tuple[list[Deal], str]:
        """The rep's (and their team's) open deals that match the buyers, and a line when
        the CRM could not be asked (the form still works without it)."""
        crm = self.app.crm
        if crm is None or not (emails or domains):
            return [], ""
        try:
            return crm.deals_for(rep.email, emails, domains), ""
        except CrmError as exc:
            log.warning("deals for %s: %s", rep.email, exc)
            return [], f"{crm.label} did not answer, so no deal is offered: link one later."

    def _typed(self, event: Event) -> Form:
        contacts = _contacts(event.texts("buyer_contacts"))
        return Form(
            deal=event.text("deal"),
            buyer_company=event.text("buyer_company"),
            buyer_contacts=contacts,
            template=event.text("template") or cards.AUTO_TEMPLATE,
            target_close=event.day("target_close"),
            close_reason=event.text("close_reason"),
            desired_outcome=event.text("desired_outcome"),
            deal_value=event.text("deal_value"),
            request_id=event.param("request_id"),
            crm=self.app.crm.label if self.app.crm else "",
            crm_deal=event.text("crm_deal"),
            stage=event.text("stage"),
        )

    def _offered_for(self, rep: Rep, form: Form) -> list[Deal]:
        emails = []
        for text in form.buyer_contacts:
            try:
                emails.append(parse_contact(text).email)
            except ValueError:
                continue
        domains = sorted({e.rsplit("@", 1)[-1] for e in emails})
        return self._offered(rep, emails, domains)[0]

    def deal(self, event: Event, rep: Rep) -> Json:
        """The deal dropdown changed: fill in the deal's value, stage and close date."""
        typed = self._typed(event)
        deals = self._offered_for(rep, typed)
        picked = next((d for d in deals if d.id == typed.crm_deal), None)
        today = self.app.today_in(event.zone)
        form = replace(typed, deals=[(d.id, deal_label(d)) for d in deals])
        if picked is not None:
            form = replace(
                form,
                deal_value=f"{picked.amount:,.0f}"
                if picked.amount is not None
                else typed.deal_value,
                stage=picked.stage_label,
                target_close=picked.close_date
                if picked.close_date and picked.close_date > today
                else typed.target_close,
                deal=typed.deal or picked.name,
            )
        return cards.update(cards.create_form(form, self._templates(), self.actions))

    def drive(self, event: Event, rep: Rep) -> Json:
        items = event.drive.selected_items if event.drive else []
        for item in items:
            row = self.app.registry.by_sheet(item.id)
            if row is not None and self._visible(row, rep):
                return cards.push(self._status(row))
        title = items[0].title if items else "Nothing selected"
        sheet = items[0].id if items and items[0].mime_type in (SHEET_MIME, XLSX_MIME) else ""
        text = (
            "This file is not a MAP Sheet. Select a MAP's Sheet to see its status, "
            "or open your MAPs."
            + (" If it is a plan your team keeps, import it as a MAP." if sheet else "")
            if items
            else "Select a MAP Sheet to see its status."
        )
        return cards.push(cards.message_card(title, text, self.actions, import_item=sheet))

    def _rep_file(self, event: Event, item_id: str, title: str, xlsx: bool) -> Source:
        """The selected file, read with the rep's own token: drive.file reaches only the one
        file the rep granted (the service account cannot open a rep's files). A Google
        Sheet through the Sheets API; an .xlsx downloaded (files.get alt=media)."""
        if not xlsx:
            return self._rep_sheet(event, item_id)
        drive = service(
            "drive",
            "v3",
            Credentials(token=event.auth.user_oauth_token),  # type: ignore[no-untyped-call]
            root_url=self.app.settings.google_root_url,
        )
        try:
            data = drive.files().get_media(fileId=item_id).execute()
        except HttpError as exc:
            raise InputError(
                "file", f"{title}: Drive would not give it ({google_failure(exc)})"
            ) from None
        try:
            grids, merges = source_grids(bytes(data))
        except ValueError as exc:
            raise InputError("file", f"{title}: {exc}") from None
        return Source(title, grids, merges)

    def _rep_sheet(self, event: Event, item_id: str) -> Source:
        """The selected Google Sheet, read with the rep's own token."""
        settings = self.app.settings
        http = PacedHttp(
            authorized_http(
                Credentials(token=event.auth.user_oauth_token),  # type: ignore[no-untyped-call]
                settings.google_timeout,
            )
        )
        as_rep = GoogleWorkspace(http, identity="", root_url=settings.google_root_url)
        source: Source = as_rep.read_source(item_id)
        return source

    def drive_import(self, event: Event, rep: Rep) -> Json:
        """Import as MAP in Drive: ask for the one file first, then the dry run's card."""
        item_id = event.param("item")
        items = event.drive.selected_items if event.drive else []
        item = next((i for i in items if i.id == item_id), None)
        if item is None:
            return cards.notify("Select the spreadsheet in Drive, then Import as MAP")
        if not item.addon_has_file_scope_permission:
            return cards.request_file_scope(item_id)
        typed = self._typed(event)
        form = replace(typed, request_id=typed.request_id or uuid.uuid4().hex)
        xlsx = item.mime_type == XLSX_MIME
        try:
            source = self._rep_file(event, item_id, item.title, xlsx)
            imported = self._understood_source(event, rep, source, form, event.text("plan_table"))
        except (InputError, WorkspaceError) as exc:
            return cards.notify(str(exc))
        view = replace(
            self._import_view(item.title, imported, source_keys(source, item_id), form),
            drive_item=item_id,
            drive_xlsx=xlsx,
        )
        return cards.update(cards.import_card(view, self.actions))

    def trigger_of(self, event: Event) -> str:
        """Which trigger the error card's Retry runs again (home when it does not say)."""
        trigger = event.param("trigger")
        return trigger if trigger in ("home", "gmail", "drive") else "home"

    def retry(self, event: Event, rep: Rep) -> Json:
        """The error card's Retry: the trigger again, its card in place of the error card."""
        run = {"home": self.home, "gmail": self.gmail, "drive": self.drive}
        return cards.pushed_as_update(run[self.trigger_of(event)](event, rep))

    # --- actions ------------------------------------------------------------------------

    def open(self, event: Event, rep: Rep) -> Json:
        return cards.update(self._status(self._map(event.param("map_id"), rep), event))

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
        typed = self._typed(event)
        today = self.app.today_in(event.zone)
        deals: list[Deal] = []
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
            if typed.crm_deal:
                # Only a deal the rep may see: the request could name any id.
                deals = self._offered_for(rep, typed)
                if typed.crm_deal not in {d.id for d in deals}:
                    raise InputError(
                        "crm_deal", "is not one of your open deals with these buyers; pick again"
                    )
                data["crm_deal"] = typed.crm_deal
                data["stage"] = typed.stage
            workspace = self.app.workspace
            created = self.app.create(data, today, self.now(), workspace=workspace)
        except InputError as exc:
            field = exc.field.split(".")[0]
            error = (FIELD_LABELS.get(field, field), exc.detail)
            if typed.crm and not deals:
                deals = self._offered_for(rep, typed)
            shown = replace(typed, deals=[(d.id, deal_label(d)) for d in deals])
            card = cards.create_form(shown, self._templates(), self.actions, error=error)
            return cards.update(card)
        row = self.app.registry.get(created.map_id)
        note = ""
        if created.crm:
            note = f"{self.app.crm.label if self.app.crm else 'CRM'}: {created.crm}. "
        if created.compressed_from_days:
            note += (
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
        return cards.update(self._status(self.app.registry.get(row.id), event), note=text)

    def share(self, event: Event, rep: Rep) -> Json:
        """Invite the buyer contacts: editors on the Sheet, commenters on the Doc."""
        row = self._map(event.param("map_id"), rep)
        shared = share_map(
            row,
            workspace=self.app.workspace,
            registry=self.app.registry,
            today=self.app.today_of(row),
            invite=self.app.inviter(),
        )
        role = "can edit the Sheet, comment on the Doc"
        unsent = dict(shared.not_emailed)
        added = [
            (
                e,
                f"{role}; the invitation email was not sent: send them the link"
                if e in unsent
                else role,
            )
            for e in shared.added
        ]
        card = cards.share_card(row.deal, added, shared.refused, row.id, self.actions)
        return cards.update(card)

    def export(self, event: Event, rep: Rep) -> Json:
        """An .xlsx copy for people who cannot open the live Sheet, kept beside the MAP."""
        row = self._map(event.param("map_id"), rep)
        made_for = event.param("made_for")
        copy = export_copy(
            row,
            workspace=self.app.workspace,
            registry=self.app.registry,
            today=self.app.today_of(row),
            made_for=made_for,
        )
        card = cards.copy_card(
            row.id, row.deal, copy.name, self.link(copy.ref), made_for, self.actions
        )
        return cards.update(card)

    def offer(self, event: Event, rep: Rep) -> Json:
        """The rep's answer to a stakeholder the buyer added: share with them, or not."""
        row = self._map(event.param("map_id"), rep)
        email, today = event.param("email"), self.app.today_of(row)
        if event.param("answer") == "yes":
            shared = add_contact(
                row,
                email,
                workspace=self.app.workspace,
                registry=self.app.registry,
                today=today,
                invite=self.app.inviter(),
            )
            if shared.refused:
                note = f"{email} could not be added: {shared.refused[0][1]}"
            elif shared.added:
                note = f"Shared with {email}"
            else:
                note = f"{email} is a contact now; they are invited when you share the plan"
        else:
            decline(row, email, registry=self.app.registry, today=today)
            note = f"Not shared with {email}; they will not be offered again"
        return cards.update(self._status(self.app.registry.get(row.id), event), note=note)

    def close(self, event: Event, rep: Rep) -> Json:
        row = self._map(event.param("map_id"), rep)
        outcome = event.param("outcome")
        if outcome not in cards.CLOSE_TEXT:
            raise InputError("outcome", f'"{outcome}" is not won, lost or archived')
        return cards.update(cards.close_card(row.id, row.deal, outcome, self.actions))

    def close_confirm(self, event: Event, rep: Rep) -> Json:
        """Won: the handoff Doc; lost or archived: buyer access revoked, syncing stops."""
        row = self._map(event.param("map_id"), rep)
        outcome, today = event.param("outcome"), self.app.today_of(row)
        closed = close_map(
            row,
            outcome,
            workspace=self.app.workspace,
            registry=self.app.registry,
            today=today,
            note=event.text("note"),
            seller_domains=self.seller_domains,
        )
        if outcome == "won":
            note = "Marked won: the handoff Doc is ready; the plan goes on as the onboarding plan"
        else:
            note = f"Marked {outcome}: access removed for {len(closed.access.revoked)} people"
        return cards.update(self._status(self.app.registry.get(row.id), event), note=note)

    def reopen(self, event: Event, rep: Rep) -> Json:
        row = self._map(event.param("map_id"), rep)
        reopen_map(row, registry=self.app.registry, today=self.app.today_of(row))
        note = "Reopened as a draft: share it again when the buyer should see it"
        return cards.update(self._status(self.app.registry.get(row.id), event), note=note)

    def merge(self, event: Event, rep: Rep) -> Json:
        """Merge the .xlsx copies attached to the open message into their MAP."""
        row = self._map(event.param("map_id"), rep)
        books = self.reader.workbooks(event)
        if not books:
            return cards.notify("No .xlsx attachment on this message: open the buyer's reply")
        sender = self.reader.headers(event).get("From", "")
        who = parse_contact(sender).email if "@" in sender else ""
        workspace = self.app.workspace
        lines: list[tuple[str, str]] = []
        for name, data in books:
            try:
                merged = merge_copy(
                    data,
                    name,
                    workspace=workspace,
                    registry=self.app.registry,
                    today=self.app.today_of(row),
                    map_id=row.id,
                    returned_by=who,
                )
            except MapError as exc:
                lines.append((name, f"not merged: {exc}"))
                continue
            m = merged.merge
            lines.append(
                (
                    name,
                    f"{len(m.applied)} edits applied, {len(m.added)} rows added, "
                    f"{len(m.conflicts)} conflicts, {len(m.unplaced)} values not placed",
                )
            )
            lines += [
                (
                    f"Conflict · {k.tab} {k.row}",
                    f'{k.column}: copy "{k.returned}", '
                    f'Sheet "{k.sheet}" (kept; both in the sync note)',
                )
                for k in m.conflicts
            ]
            lines += [(f"Not placed · {u.tab} {u.row}", f'"{u.text}": {u.why}') for u in m.unplaced]
        return cards.update(cards.merged_card(row.id, row.deal, lines, self.actions))

    def followup(self, event: Event, rep: Rep) -> Json:
        """A reply draft in the open thread to the buyer side: their late and upcoming
        steps and ours, with the plan's link. Gmail opens it for the rep to edit and send."""
        row = self._map(event.param("map_id"), rep)
        if event.gmail is None or not event.gmail.thread_id:
            return cards.notify("Open the buyer's email thread to draft a follow-up there")
        headers = self.reader.headers(event)
        reachable = [
            (p.name, p.email)
            for p in self.app.registry.people(row.id)
            if p.state in ("shared", "contact", "refused")
        ]
        if not reachable and "@" in headers.get("From", ""):
            sender = parse_contact(headers["From"])
            reachable = [(sender.name, sender.email)]
        if not reachable:
            return cards.notify("This MAP has no buyer contact to write to: add one first")
        message = followup(
            row,
            reachable,
            headers.get("Subject") or row.deal,
            self.link(row.sheet_ref),
            in_reply_to=headers.get("Message-ID", ""),
            references=headers.get("References", ""),
        )
        draft_id, thread_id = self.reader.draft(event, message)
        return cards.open_draft(draft_id, thread_id or event.gmail.thread_id)

    def reminders(self, event: Event, rep: Rep) -> Json:
        """Turn the MAP's buyer reminders on or off."""
        row = self._map(event.param("map_id"), rep)
        on = event.param("on") == "yes"
        self.app.registry.update(row.id, buyer_reminders=on)
        note = "Buyer reminders on" if on else "Buyer reminders off: the buyer gets none"
        return cards.update(self._status(self.app.registry.get(row.id), event), note=note)


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
