"""What every entry point needs, built once from the settings: the workspace, the registry,
the templates, and "today" for a MAP. The CLI (addon/cli/) and the web service
(addon/web) both stand on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from addon.alerts import Channels, channels_from, inviter
from addon.config import Settings
from addon.crm.base import Crm, CrmError
from addon.crm.links import LINKED, CrmReport, Policy, link, push
from addon.crm.open import open_crm
from addon.errors import InputError, MapError, NotFound
from addon.importing import Given, Imported, create_imported, understand
from addon.maps import Created, create_map, validate_create
from addon.plan.adopt import Source
from addon.plan.crm import Deal
from addon.registry.models import MapRow
from addon.registry.store import Registry
from addon.sharing import Inviter
from addon.workspace.base import Workspace
from addon.workspace.local import LocalWorkspace
from addon.workspace.open import open_workspace
from addon.workspace.sources import read_files, sheet_id, source_keys
from sheets_schema.template import load_templates


class App:
    """What every command needs, built once from the settings."""

    def __init__(self, settings: Settings, *, workspace: Workspace | None = None) -> None:
        """`workspace`: one already built (tests hand in a Google workspace on the fake)."""
        self.settings = settings
        settings.workspace.mkdir(parents=True, exist_ok=True)  # the registry's default home
        self.workspace: Workspace = workspace or open_workspace(settings)
        self.registry = Registry(settings.registry())
        extra = [settings.template_dir] if settings.template_dir else []
        self.templates = load_templates(extra)
        self.crm: Crm | None = open_crm(settings)

    def policy(self) -> Policy:
        """What the team asked of the CRM: stage moves per team, the gap list."""
        s = self.settings
        return Policy(s.stage_team, s.crm_gap_stage, s.crm_gap_amount)

    def push_crm(self, today: date) -> CrmReport | None:
        """After a sync: every linked MAP's changed signals to its deal, stage moves, notes
        and the gap list. None without a CRM."""
        if self.crm is None:
            return None
        return push(
            self.crm,
            self.registry,
            self.registry.maps(LINKED),
            today=today,
            templates=self.templates,
            policy=self.policy(),
            sheet_link=lambda row: self.workspace.link(row.sheet_ref),
        )

    def need_crm(self) -> Crm:
        if self.crm is None:
            raise InputError(
                "crm", "no CRM is configured; set MAP_CRM=salesforce or MAP_CRM=hubspot"
            )
        return self.crm

    def create(
        self,
        data: dict[str, Any],
        today: date,
        now: datetime,
        *,
        workspace: Workspace | None = None,
    ) -> Created:
        """Validate a rep's input and create the MAP (files, registry, first sync), in the
        app's workspace or in `workspace` (the same place, reached as the rep)."""
        data = dict(data)
        deal_id = str(data.pop("crm_deal", "") or "").strip()
        if deal_id and self.crm is None:
            raise InputError("crm_deal", "no CRM is configured (MAP_CRM) to link a deal from")
        form = validate_create(data, self.templates, today)
        created = create_map(
            form,
            templates=self.templates,
            workspace=workspace or self.workspace,
            registry=self.registry,
            today=today,
            seller_company=self.settings.seller_company,
            now=now,
            workspace_kind=self.settings.backend,
        )
        return self._linked(created, deal_id, today)

    def _linked(self, created: Created, deal_id: str, today: date) -> Created:
        """Link a new MAP to its deal. The MAP exists either way: a refused link is said
        on the result (and `mapctl link` or the card's Link retries it)."""
        if not deal_id or created.existing:
            return created
        try:
            deal = self.link_deal(created.map_id, deal_id, today)
        except (MapError, CrmError) as exc:
            return replace(created, crm=f"not linked to deal {deal_id}: {exc}")
        return replace(created, crm=f"linked to {deal.name} ({deal.id})")

    def link_deal(self, map_id: str, deal_id: str, today: date, *, force: bool = False) -> Deal:
        """Link a MAP to its CRM deal and write its signals there."""
        return link(self.need_crm(), self.registry, map_id, deal_id, today, force=force)

    def source_keys(self, files: Sequence[str], source: Source) -> list[str]:
        """What identifies the plan `read_source` read, across imports (sources.source_keys):
        its Drive id for a Google Sheet, and a hash of its cells."""
        ref = None
        if len(files) == 1 and not Path(files[0]).exists():
            ref = sheet_id(files[0])
        return source_keys(source, ref)

    def already_imported(self, keys: Sequence[str]) -> str | None:
        """ "already imported as MAP-… on …" when the same plan made a MAP before."""
        found = self.registry.imported_from(keys)
        if found is None:
            return None
        row, key = found
        return (
            f"already imported as {row.id} ({row.deal}, {row.lifecycle}) on "
            f"{key.imported_on:%d %b %Y} from {key.source or 'the same plan'}"
        )

    def read_source(self, files: Sequence[str]) -> Source:
        """What `mapctl import` reads: local .xlsx/.csv files, or a Google Sheet (id or URL)
        on the Google backend."""
        if len(files) == 1 and not Path(files[0]).exists() and (ref := sheet_id(files[0])):
            if self.settings.backend != "google":
                raise InputError(
                    "file",
                    f"no file {files[0]}; a Google Sheet is imported on the Google backend "
                    "(--backend google), or download it as .xlsx and give that file",
                )
            return self.workspace.read_source(ref)
        return read_files([Path(f) for f in files])

    def understand(self, source: Source, given: Given, today: date) -> Imported:
        return understand(source, given, today=today, seller_company=self.settings.seller_company)

    def import_map(
        self, imported: Imported, today: date, now: datetime, crm_deal: str = ""
    ) -> Imported:
        """Create the MAP an import read (files, registry, first sync), and link it to its
        CRM deal when one is given."""
        deal_id = crm_deal.strip()
        if deal_id and self.crm is None:
            raise InputError("crm_deal", "no CRM is configured (MAP_CRM) to link a deal from")
        done = create_imported(
            imported,
            templates=self.templates,
            workspace=self.workspace,
            registry=self.registry,
            today=today,
            now=now,
            seller_company=self.settings.seller_company,
            workspace_kind=self.settings.backend,
        )
        if done.created is None:
            return done
        return replace(done, created=self._linked(done.created, deal_id, today))

    def channels(self) -> Channels:
        """Where alerts go: the SMTP relay (or the local outbox folder) and the webhooks."""
        return channels_from(self.settings, self.workspace.link)

    def inviter(self) -> Inviter | None:
        """Who emails a person a MAP was shared with: the relay (or the local outbox),
        from the rep with replies to the rep; None: the workspace's own notification."""
        return inviter(self.channels())

    @property
    def local(self) -> LocalWorkspace:
        if not isinstance(self.workspace, LocalWorkspace):
            raise NotFound("this works on the local workspace only (MAP_BACKEND=local)")
        return self.workspace

    def where(self, ref: str) -> str:
        """Where a file is, for a person: its path on disk, or its Google link."""
        if isinstance(self.workspace, LocalWorkspace):
            return str(self.settings.workspace / ref)
        return self.workspace.link(ref)

    def today_of(self, row: MapRow | None = None) -> date:
        """`--today`/MAP_TODAY when given, else today in the MAP's own time zone."""
        return self.today_in(row.time_zone if row else None)

    def today_in(self, zone: str | None) -> date:
        """`--today`/MAP_TODAY when given, else today in `zone` (the server's own when
        none is given or the name is not a time zone)."""
        if self.settings.today:
            return self.settings.today
        try:
            tz = ZoneInfo(zone) if zone else None
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
        return datetime.now(tz).date()
