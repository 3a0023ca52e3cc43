"""The Google workspace over the offline fake, as the tests use it: a service account's
paced transport on a simulated clock, a registry in a temp folder, a buyer's client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from addon.google.clients import service
from addon.google.transport import CallLog, Clock, PacedHttp, Pacer, authorized_http
from addon.maps import Created, create_map, validate_create
from addon.registry.store import Registry
from addon.sharing import share_map
from addon.sync import sync_all
from addon.workspace.google import GoogleWorkspace
from addon.workspace.google_sheet import grids_of, read_params
from sheets_schema.template import load_templates
from tests.googlefake.server import FakeGoogle, serve

SERVICE = "map-sync@project.iam.gserviceaccount.com"
BUYER = "dana@northwind.example.com"
REP = "sam@seller.example.com"
TODAY = date(2026, 3, 2)
DRIVE = "0ASalesMapsUk9PVA"  # the team's shared drive
FOLDER = "1MapsFolderInSalesDrive"  # the MAP folder in it (MAP_GOOGLE_FOLDER)


@dataclass
class Env:
    fake: FakeGoogle
    workspace: GoogleWorkspace
    registry: Registry
    log: CallLog
    clock: Clock

    def buyer(self) -> Any:
        return service("sheets", "v4", Credentials(token="buyer-token"), root_url=self.fake.url)

    def grids(self, sheet: str, *, as_buyer: bool = False) -> dict[str, Any]:
        """The Sheet as the service reads it, or as the buyer's own client does (who can
        open only what was shared with them)."""
        token = "buyer-token" if as_buyer else "service-token"
        reader = service("sheets", "v4", Credentials(token=token), root_url=self.fake.url)
        answer = (
            reader.spreadsheets().values().batchGet(spreadsheetId=sheet, **read_params()).execute()
        )
        return grids_of(answer)

    def sync(self, day: date) -> Any:
        return sync_all(workspace=self.workspace, registry=self.registry, today_of=lambda _r: day)


@contextmanager
def environment(folder: Path) -> Iterator[Env]:
    """The fake served, the team's Shared Drive in it, the service account's workspace on
    a simulated clock, and a registry in `folder` (the fixture, and the random run)."""
    with serve() as fake:
        fake.users = {"service-token": SERVICE, "buyer-token": BUYER}
        fake.clock = lambda: datetime(2026, 3, 2, 9, 0)
        # As deployed: the service account is a content manager of the team's shared drive
        # (service accounts own nothing: Drive "Shared drives overview"), the rep a member.
        fake.add_shared_drive(
            DRIVE, "Sales - Mutual Action Plans", {SERVICE: "fileOrganizer", REP: "writer"}
        )
        fake.add_folder(FOLDER, DRIVE, "MAPs")
        clock = Clock.simulated()
        log = CallLog()
        http = PacedHttp(
            authorized_http(Credentials(token="service-token"), timeout=5),
            pacer=Pacer(clock),
            log=log,
        )
        workspace = GoogleWorkspace(
            http, identity=SERVICE, folder_id=FOLDER, root_url=fake.url, sleep=clock.sleep
        )
        registry = Registry(f"sqlite:///{folder / 'registry.sqlite'}")
        try:
            yield Env(fake, workspace, registry, log, clock)
        finally:
            registry.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with environment(tmp_path) as made:
        yield made


def create(
    env: Env,
    key: str | None = None,
    deal: str = "Analytics rollout",
    *,
    contacts: tuple[str, ...] = (),
    desired_outcome: str = "",
    shared: bool = False,
) -> Created:
    """A MAP made through the product's create path; `shared`: then shared with its buyer
    contacts as `mapctl share` does (so the buyer's own client can edit it)."""
    templates = load_templates()
    form = validate_create(
        {
            "deal": deal,
            "buyer_company": "Northwind Traders",
            "buyer_contacts": list(contacts) or [f"Dana Whitfield <{BUYER}>"],
            "target_close": date(2026, 5, 29),
            "close_reason": "budget is set on 1 June",
            "desired_outcome": desired_outcome,
            "template": "mid_market",
            "rep_name": "Sam Rivera",
            "rep_email": REP,
            "idempotency_key": key,
        },
        templates,
        TODAY,
    )
    created = create_map(
        form,
        templates=templates,
        workspace=env.workspace,
        registry=env.registry,
        today=TODAY,
        seller_company="Example Software",
        now=datetime(2026, 3, 2, 9, 0),
        workspace_kind="google",
    )
    if shared:
        share_map(
            env.registry.get(created.map_id),
            workspace=env.workspace,
            registry=env.registry,
            today=TODAY,
        )
    return created
