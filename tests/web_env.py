"""The add-on web service as Google reaches it, offline: a local signing key whose certificate
is served over HTTP as Google serves its certs, tokens signed like Google's (system ID token,
user ID token, Scheduler/Tasks OIDC), the app served by a real HTTP server on loopback, and
the Google fake for Gmail and Cloud Tasks.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from werkzeug.serving import make_server

from addon.app import App
from addon.config import Settings
from addon.web import create_app
from addon.web.background import TaskQueue
from addon.web.sidebar import ADDON_SCOPES
from tests.googlefake.server import FakeGoogle, serve

PUBLIC = "https://map-addon.example.com"
ADDON_SA = "service-123456789@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
CLIENT_ID = "123456789-addon.apps.googleusercontent.com"
INVOKER = "map-backend@project.iam.gserviceaccount.com"
REP = "sam@seller.example.com"
TODAY = date(2026, 3, 2)
QUEUE = "projects/project/locations/europe-west1/queues/map-sync"


@dataclass
class Key:
    kid: str
    signer: crypt.RSASigner
    pem: str


@cache
def make_key(kid: str, which: int = 0) -> Key:
    """A signing key and its self-signed certificate (made once per test run)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(private, hashes.SHA256())
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = crypt.RSASigner.from_string(pem, key_id=kid)
    return Key(kid, signer, cert.public_bytes(serialization.Encoding.PEM).decode())


@dataclass
class CertServer:
    """Serves {kid: PEM certificate} as https://www.googleapis.com/oauth2/v1/certs does,
    with a Cache-Control max-age, and counts fetches."""

    keys: list[Key]
    fetches: int = 0
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps({k.kid: k.pem for k in outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def sign(key: Key, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": "https://accounts.google.com", "iat": now, "exp": now + 3600, **claims}
    return jwt.encode(key.signer, payload).decode()


@dataclass
class Web:
    url: str
    key: Key
    other_key: Key  # a key Google never published: tokens signed with it are forged
    certs: CertServer
    fake: FakeGoogle
    app: App
    settings: Settings
    session: requests.Session = field(default_factory=requests.Session)

    # --- tokens -----------------------------------------------------------------------

    def system_token(self, path: str, **claims: Any) -> str:
        base = {"aud": PUBLIC + path, "email": ADDON_SA, "email_verified": True, "sub": "1"}
        return sign(self.key, **{**base, **claims})

    def user_token(self, email: str = REP, **claims: Any) -> str:
        base = {"aud": CLIENT_ID, "email": email, "email_verified": True, "sub": "42"}
        return sign(self.key, **{**base, "name": "Sam Rivera", **claims})

    def invoker_token(self, path: str, **claims: Any) -> str:
        base = {"aud": PUBLIC + path, "email": INVOKER, "email_verified": True, "sub": "7"}
        return sign(self.key, **{**base, **claims})

    # --- events -----------------------------------------------------------------------

    def event(
        self,
        host: str = "GMAIL",
        *,
        form: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        gmail: tuple[str, str] | None = None,
        drive: list[dict[str, Any]] | None = None,
        scopes: list[str] | None = None,
        rep: str = REP,
        zone: str = "Europe/Berlin",
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "commonEventObject": {
                "hostApp": host,
                "platform": "WEB",
                "userLocale": "en-GB",
                "timeZone": {"id": zone, "offset": 3600000},
                "formInputs": form or {},
                "parameters": params or {},
            },
            "authorizationEventObject": {
                "userOAuthToken": "rep-token",
                "userIdToken": self.user_token(rep),
                "authorizedScopes": list(ADDON_SCOPES) if scopes is None else scopes,
            },
        }
        if gmail:
            event["gmail"] = {"messageId": gmail[0], "threadId": gmail[0], "accessToken": gmail[1]}
        if drive is not None:
            event["drive"] = {"selectedItems": drive}
        return event

    def post(self, path: str, body: Any, token: str | None = None) -> requests.Response:
        token = self.system_token(path) if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.session.post(self.url + path, json=body, headers=headers, timeout=30)

    def task(self, path: str, body: Any, token: str | None = None) -> requests.Response:
        token = self.invoker_token(path) if token is None else token
        return self.session.post(
            self.url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )


def text(value: str) -> dict[str, Any]:
    return {"stringInputs": {"value": [value]}}


def day(value: date) -> dict[str, Any]:
    ms = int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)
    return {"dateInput": {"msSinceEpoch": ms}}


def serve_certs(key: Key) -> tuple[CertServer, ThreadingHTTPServer]:
    """The certificate document for `key`, served on loopback (shut the server down after)."""
    certs = CertServer([key])
    server = ThreadingHTTPServer(("127.0.0.1", 0), certs.handler())
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    certs.url = f"http://127.0.0.1:{server.server_port}/oauth2/v1/certs"
    return certs, server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str) -> None:
    """Until a server started in another process answers /healthz (20 s at most)."""
    for _ in range(200):
        try:
            if requests.get(base + "/healthz", timeout=5).ok:
                return
        except requests.RequestException:  # not listening, or still starting
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not answer /healthz")


def settings_for(root: Path, certs_url: str, fake_url: str, **extra: Any) -> Settings:
    return Settings(
        workspace=root,
        today=TODAY,
        public_url=PUBLIC,
        addon_service_account=ADDON_SA,
        addon_client_id=CLIENT_ID,
        invoker_service_account=INVOKER,
        certs_url=certs_url,
        google_root_url=fake_url,
        log_format="text",
        **extra,
    )


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    key, other = make_key("key-1"), make_key("key-1", 1)  # same kid: only the signature differs
    certs, cert_http = serve_certs(key)
    with serve() as fake:
        fake.users = {"rep-token": REP, "service-token": INVOKER}
        settings = settings_for(
            tmp_path / "ws", certs.url, fake.url, tasks_queue=QUEUE, inline_sync_limit=2
        )
        app = App(settings)
        from google.oauth2.credentials import Credentials

        from addon.google.transport import authorized_http

        queue = TaskQueue(
            QUEUE,
            PUBLIC,
            INVOKER,
            authorized_http(Credentials(token="service-token"), timeout=5),  # type: ignore[no-untyped-call]
            root_url=fake.url,
        )
        fake.add_queue(QUEUE)
        flask_app = create_app(settings, app=app, queue=queue)
        server = make_server("127.0.0.1", 0, flask_app, threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        try:
            yield Web(
                f"http://127.0.0.1:{server.server_port}", key, other, certs, fake, app, settings
            )
        finally:
            server.shutdown()
            cert_http.shutdown()
            app.registry.close()
