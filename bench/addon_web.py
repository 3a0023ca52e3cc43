"""The add-on as Google's host calls it, timed in real time over loopback HTTP.

1. create: the "Create MAP" click end to end (verify both tokens, validate, template,
   the Sheet and the Doc made in the Shared Drive, the rep given edit access, the build
   with the first sync's values, registry) through the strict Google fake answering each
   call after 150 ms and every files.create after 3 s more (Drive's HTML-to-Doc conversion;
   the fake cannot tell the Sheet's create from the Doc's upload, so both pay it: a
   pessimistic figure); several reps at once. Target: p95 under 10 s.
1b. sync now: 24 "Sync now" clicks at once on 6 MAPs a buyer edited, on the Google fake
   at 20 ms a call: every answer's time, errors, and answers a second.
2. cards: 50 concurrent clients, each posting signed requests (homepage, Drive selection,
   status card, Gmail thread) to the app under gunicorn with cloudrun/gunicorn.conf.py on
   the local workspace. Prints p50/p95 and the error count (target: zero errors).
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import requests
from google.oauth2.credentials import Credentials
from werkzeug.serving import make_server

from addon.app import App
from addon.config import Settings
from addon.google.clients import service
from addon.google.transport import PacedHttp, authorized_http
from addon.web import create_app
from addon.workspace.google import GoogleWorkspace
from tests.googlefake.server import FakeGoogle, serve
from tests.web_env import (
    ADDON_SA,
    CLIENT_ID,
    INVOKER,
    PUBLIC,
    REP,
    Web,
    day,
    free_port,
    make_key,
    serve_certs,
    settings_for,
    text,
    wait_ready,
)

ROOT = Path(__file__).resolve().parents[1]
LATENCY, CONVERSION = 0.150, 3.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _form(n: int) -> dict[str, Any]:
    return {
        "deal": text(f"Analytics rollout {n}"),
        "buyer_company": text("Northwind"),
        "buyer_contacts": text("Dana Whitfield <dana@northwind.example.com>"),
        "deal_value": text("48k"),
        "template": text("auto"),
        "target_close": day(date(2026, 5, 29)),
    }


SERVICE = "map-sync@bench.iam.gserviceaccount.com"
FOLDER = "1BenchMapsFolder"


def google_app(fake: FakeGoogle, root: Path, certs_url: str) -> tuple[App, Settings]:
    """The add-on's App on the Google fake as deployed: the service account a content
    manager of the team's Shared Drive, the rep a member."""
    fake.users.update({"rep-token": REP, "service-token": SERVICE})
    fake.add_shared_drive("0ABenchDrive", "Sales", {SERVICE: "fileOrganizer", REP: "writer"})
    fake.add_folder(FOLDER, "0ABenchDrive", "MAPs")
    settings = settings_for(root, certs_url, fake.url, backend="google", google_folder=FOLDER)
    http = PacedHttp(authorized_http(Credentials(token="service-token"), timeout=30))
    workspace = GoogleWorkspace(http, identity=SERVICE, folder_id=FOLDER, root_url=fake.url)
    return App(settings, workspace=workspace), settings


def serve_app(app: App, settings: Settings, certs: Any, fake: FakeGoogle) -> tuple[Any, Web]:
    """The add-on's WSGI app on a threaded loopback server, and a signing client for it."""
    server = make_server("127.0.0.1", 0, create_app(settings, app=app), threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    return server, Web(url, make_key("key-1"), make_key("key-1", 1), certs, fake, app, settings)


def bench_create(creates: int, concurrency: int) -> list[tuple[str, str, str]]:
    certs, cert_server = serve_certs(make_key("key-1"))
    with serve() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.latency = LATENCY
        fake.slow = {"drive.files.create": CONVERSION}
        app, settings = google_app(fake, Path(tmp) / "ws", certs.url)
        server, web = serve_app(app, settings, certs, fake)

        def one(n: int) -> tuple[float, bool, int]:
            event = web.event(form=_form(n), params={"request_id": f"bench-{n}"})
            start = time.perf_counter()
            answer = web.post("/addon/actions/create", event)
            took = time.perf_counter() - start
            ok = answer.ok and "Created as a draft" in answer.text
            return took, ok, len(fake.log)

        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, range(creates)))
        server.shutdown()
        app.registry.close()
    cert_server.shutdown()
    times = [t for t, _, _ in results]
    errors = sum(1 for _, ok, _ in results if not ok)
    calls = len(app.workspace.http.log) / max(1, creates)  # round trips: a batch is one
    p95 = pct(times, 95)
    return [
        ("addon_create_runs", f"{creates}", "count"),
        ("addon_create_concurrent_reps", f"{concurrency}", "count"),
        ("addon_create_fake_latency", f"{LATENCY * 1000:.0f}", "ms"),
        ("addon_create_doc_conversion", f"{CONVERSION:.1f}", "s"),
        ("addon_create_p50", f"{statistics.median(times):.2f}", "s"),
        ("addon_create_p95", f"{p95:.2f}", "s"),
        ("addon_create_max", f"{max(times):.2f}", "s"),
        ("addon_create_errors", f"{errors}", "count"),
        ("addon_create_google_calls", f"{calls:.1f}", "count"),
        ("addon_create_meets_goal_p95_10s", "yes" if p95 < 10 and not errors else "no", ""),
    ]


def bench_sync_now(clicks: int = 24, maps: int = 6) -> list[tuple[str, str, str]]:
    certs, cert_server = serve_certs(make_key("key-1"))
    with serve() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.users["invoker"] = INVOKER
        app, settings = google_app(fake, Path(tmp) / "ws", certs.url)
        rows = [
            app.create(
                {
                    "deal": f"Rollout {n}",
                    "buyer_company": f"Buyer {n}",
                    "buyer_contacts": [f"dana@buyer{n}.example.com"],
                    "target_close": date(2026, 5, 29),
                    "template": "smb",
                    "rep_name": "Sam Rivera",
                    "rep_email": REP,
                },
                date(2026, 3, 2),
                datetime(2026, 3, 2, 9),
            )
            for n in range(maps)
        ]
        rep = service("sheets", "v4", Credentials(token="rep-token"), root_url=fake.url)
        for n, created in enumerate(rows):  # a different step done in each MAP
            rep.spreadsheets().values().batchUpdate(
                spreadsheetId=created.files.sheet,
                body={
                    "valueInputOption": "RAW",
                    "data": [{"range": f"Plan!H{4 + n % 8}", "values": [["Done"]]}],
                },
            ).execute()
        fake.latency = 0.020
        server, web = serve_app(app, settings, certs, fake)

        def click(i: int) -> tuple[float, bool]:
            event = web.event("DRIVE", params={"map_id": rows[i % maps].map_id})
            start = time.perf_counter()
            try:
                answer = web.post("/addon/actions/sync", event)
                ok = answer.ok and ("Synced" in answer.text or "Up to date" in answer.text)
            except requests.RequestException:
                ok = False
            return time.perf_counter() - start, ok

        started = time.perf_counter()
        with ThreadPoolExecutor(clicks) as pool:
            results = list(pool.map(click, range(clicks)))
        wall = time.perf_counter() - started
        server.shutdown()
        app.registry.close()
    cert_server.shutdown()
    times = [t for t, _ in results]
    return [
        ("addon_sync_now_clicks", f"{clicks}", "count"),
        ("addon_sync_now_maps", f"{maps}", "count"),
        ("addon_sync_now_fake_latency", "20", "ms"),
        ("addon_sync_now_p50", f"{statistics.median(times):.2f}", "s"),
        ("addon_sync_now_max", f"{max(times):.2f}", "s"),
        ("addon_sync_now_errors", f"{sum(1 for _, ok in results if not ok)}", "count"),
        ("addon_sync_now_throughput", f"{clicks / wall:.1f}", "rps"),
    ]


def bench_cards(clients: int, requests_each: int, maps: int) -> list[tuple[str, str, str]]:
    certs, cert_server = serve_certs(make_key("key-1"))
    with serve() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.users = {"rep-token": REP}
        settings = settings_for(Path(tmp) / "ws", certs.url, fake.url)
        app = App(settings)
        helper = Web("", make_key("key-1"), make_key("key-1", 1), certs, fake, app, settings)
        for n in range(maps):  # the MAPs the cards show, made through the same create path
            app.create(
                {
                    "deal": f"Rollout {n}",
                    "buyer_company": f"Buyer {n}",
                    "buyer_contacts": [f"buyer{n}@buyer{n % 7}.example.com"],
                    "target_close": date(2026, 5, 29),
                    "template": "smb",
                    "rep_name": "Sam Rivera",
                    "rep_email": REP,
                },
                settings.today or date(2026, 3, 2),
                datetime(2026, 3, 2, 9),
            )
        rows = app.registry.maps()
        app.registry.close()
        port = free_port()
        env = {
            **os.environ,
            "PORT": str(port),
            "MAP_WORKSPACE": str(settings.workspace),
            "MAP_TODAY": "2026-03-02",
            "MAP_PUBLIC_URL": PUBLIC,
            "MAP_ADDON_SERVICE_ACCOUNT": ADDON_SA,
            "MAP_ADDON_CLIENT_ID": CLIENT_ID,
            "MAP_INVOKER_SERVICE_ACCOUNT": INVOKER,
            "MAP_CERTS_URL": certs.url,
            "MAP_GOOGLE_ROOT_URL": fake.url,
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        proc = subprocess.Popen(
            [
                str(gunicorn),
                "--config",
                str(ROOT / "cloudrun" / "gunicorn.conf.py"),
                "addon.web:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            message = fake.add_message(
                [("From", "buyer3@buyer3.example.com"), ("To", REP), ("Subject", "Re: rollout")]
            )
            kinds = [
                ("/addon/home", helper.event("DRIVE")),
                ("/addon/drive/selected", helper.event("DRIVE", drive=[{"id": rows[5].sheet_ref}])),
                ("/addon/actions/open", helper.event("DRIVE", params={"map_id": rows[9].id})),
                ("/addon/gmail", helper.event(gmail=message)),
            ]
            tokens = {path: helper.system_token(path) for path, _ in kinds}
            times: dict[str, list[float]] = {path: [] for path, _ in kinds}
            errors = 0
            lock = threading.Lock()

            def client(c: int) -> None:
                nonlocal errors
                session = requests.Session()
                for i in range(requests_each):
                    path, event = kinds[(c + i) % len(kinds)]
                    start = time.perf_counter()
                    try:
                        answer = session.post(
                            base + path,
                            json=event,
                            timeout=30,
                            headers={"Authorization": f"Bearer {tokens[path]}"},
                        )
                        ok = answer.status_code == 200 and "notification" not in answer.text
                    except requests.RequestException:
                        ok = False
                    took = time.perf_counter() - start
                    with lock:
                        times[path].append(took)
                        errors += 0 if ok else 1

            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(client, range(clients)))
            wall = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    cert_server.shutdown()
    every = [t for ts in times.values() for t in ts]
    lines = [
        ("addon_cards_clients", f"{clients}", "count"),
        ("addon_cards_requests", f"{len(every)}", "count"),
        ("addon_cards_p50", f"{statistics.median(every) * 1000:.0f}", "ms"),
        ("addon_cards_p95", f"{pct(every, 95) * 1000:.0f}", "ms"),
        ("addon_cards_errors", f"{errors}", "count"),
        ("addon_cards_throughput", f"{len(every) / wall:.0f}", "rps"),
    ]
    for path, ts in times.items():
        name = path.rpartition("/")[2]
        lines.append((f"addon_cards_{name}_p95", f"{pct(ts, 95) * 1000:.0f}", "ms"))
    return lines


Figure = tuple[str, str, str]


def run(creates: int = 20, concurrency: int = 5, clients: int = 50, each: int = 20) -> list[Figure]:
    logging.getLogger("addon").setLevel(logging.WARNING)  # figures only on stdout
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return (
        bench_create(creates, concurrency) + bench_sync_now() + bench_cards(clients, each, maps=40)
    )


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value} {unit}".rstrip())
