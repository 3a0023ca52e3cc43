"""Every add-on and task endpoint refuses a request that does not prove who sent it: 401, no
work done. Tokens are signed with a local key; its certificate is served over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from addon.web import NotConfigured, create_app
from addon.web.verify import Rep, Unverified, Verifier
from tests.web_env import ADDON_SA, CLIENT_ID, INVOKER, PUBLIC, REP, Web, free_port, sign

ROOT = Path(__file__).resolve().parents[1]


def test_a_signed_request_is_served(web: Web) -> None:
    answer = web.post("/addon/home", web.event("DRIVE"))
    assert answer.status_code == 200
    assert "pushCard" in answer.json()["action"]["navigations"][0]


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not a jwt",
        "forged",
        "expired",
        "wrong audience",
        "http audience",
        "wrong account",
        "unverified email",
        "wrong issuer",
    ],
)
def test_system_token_refused(web: Web, case: str) -> None:
    path = "/addon/home"
    token = {
        "missing": "",
        "not a jwt": "abc.def",
        "forged": sign(web.other_key, aud=PUBLIC + path, email=ADDON_SA, email_verified=True),
        "expired": web.system_token(path, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        "wrong audience": web.system_token(path, aud=PUBLIC + "/addon/gmail"),
        # behind Cloud Run's proxy the request URL is http://: that is never the audience
        "http audience": web.system_token(path, aud=PUBLIC.replace("https", "http") + path),
        "wrong account": web.system_token(path, email="someone@project.iam.gserviceaccount.com"),
        "unverified email": web.system_token(path, email_verified=False),
        "wrong issuer": web.system_token(path, iss="https://evil.example.com"),
    }[case]
    before = len(web.app.registry.maps())
    answer = web.post(path, web.event("DRIVE"), token=token)
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized"}
    assert len(web.app.registry.maps()) == before


@pytest.mark.parametrize("case", ["missing", "forged", "wrong client", "expired"])
def test_user_token_refused(web: Web, case: str) -> None:
    event = web.event("DRIVE")
    auth = event["authorizationEventObject"]
    now = int(time.time())
    auth["userIdToken"] = {
        "missing": "",
        "forged": sign(web.other_key, aud=CLIENT_ID, email="sam@seller.example.com"),
        "wrong client": web.user_token(aud="someone-else.apps.googleusercontent.com"),
        "expired": web.user_token(iat=now - 7200, exp=now - 3600),
    }[case]
    assert web.post("/addon/home", event).status_code == 401


def test_an_action_is_verified_too_and_creates_nothing(web: Web) -> None:
    path = "/addon/actions/create"
    answer = web.post(path, web.event(), token=web.system_token("/addon/home"))
    assert answer.status_code == 401
    assert web.app.registry.maps() == []


@pytest.mark.parametrize("path", ["/tasks/sync", "/tasks/sync-map", "/tasks/rollup"])
def test_task_endpoints_need_the_invoker(web: Web, path: str) -> None:
    assert web.task(path, {}, token="").status_code == 401
    # the add-on's own account is not the invoker
    assert web.task(path, {}, token=web.system_token(path)).status_code == 401
    wrong_aud = web.invoker_token("/tasks/other")
    assert web.task(path, {}, token=wrong_aud).status_code == 401
    forged = sign(web.other_key, aud=PUBLIC + path, email=INVOKER, email_verified=True)
    assert web.task(path, {}, token=forged).status_code == 401
    assert web.fake.calls("") == []  # no Google call was made for any of them


def test_certificates_are_fetched_once_then_cached(web: Web) -> None:
    for _ in range(5):
        assert web.post("/addon/home", web.event("DRIVE")).status_code == 200
    assert web.certs.fetches == 1


def test_no_audience_configured_accepts_nothing(web: Web) -> None:
    verifier = Verifier(web.certs.url)
    with pytest.raises(Exception, match="no audience is configured"):
        verifier.system(web.system_token("/addon/home"), "", ADDON_SA)


@contextmanager
def served(web: Web, **settings: Any) -> Iterator[Web]:
    """The same app and keys, served with other settings: a second real HTTP server."""
    changed = web.settings.model_copy(update={"tasks_queue": "", **settings})
    preview = (
        {"root": changed.workspace, "rep": Rep(REP, "Sam", "p")} if not changed.public_url else None
    )
    flask_app = create_app(changed, app=web.app, preview=preview)
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield replace(web, url=f"http://127.0.0.1:{server.server_port}", settings=changed)
    finally:
        server.shutdown()


def test_a_bare_path_audience_is_refused(web: Web) -> None:
    with served(web, public_url="") as bare:
        token = web.system_token("/addon/home", aud="/addon/home")
        assert bare.post("/addon/home", web.event("DRIVE"), token=token).status_code == 401
        task = web.invoker_token("/tasks/rollup", aud="/tasks/rollup")
        assert bare.task("/tasks/rollup", {}, token=task).status_code == 401
    with pytest.raises(Unverified) as refused:
        Verifier(web.certs.url).system(token, "/addon/home", ADDON_SA)
    assert str(refused.value) == (
        "system ID token: the expected audience '/addon/home' is not a URL; "
        "set MAP_PUBLIC_URL to the service's https URL"
    )


@pytest.mark.parametrize(
    "account",
    [
        "map-runtime@project.iam.gserviceaccount.com",
        "123456-compute@developer.gserviceaccount.com",
        "project@appspot.gserviceaccount.com",
    ],
)
def test_a_service_account_is_not_a_rep(web: Web, account: str) -> None:
    event = web.event("DRIVE")
    event["authorizationEventObject"]["userIdToken"] = web.user_token(account)
    assert web.post("/addon/home", event).status_code == 401
    with pytest.raises(Unverified) as refused:
        Verifier(web.certs.url).user(web.user_token(account), CLIENT_ID)
    assert str(refused.value) == f"user ID token: {account} is a service account, not a person"


def test_only_the_seller_domains_may_use_it_when_configured(web: Web) -> None:
    with served(web, seller_domains="Seller.example.com, seller.example.de") as only:
        assert only.post("/addon/home", web.event("DRIVE")).status_code == 200
        outsider = web.event("DRIVE", rep="eve@buyer.example.org")
        assert only.post("/addon/home", outsider).status_code == 401
    with pytest.raises(Unverified) as refused:
        Verifier(web.certs.url).user(
            web.user_token("eve@buyer.example.org"), CLIENT_ID, ("seller.example.com",)
        )
    assert str(refused.value) == (
        "user ID token: eve@buyer.example.org is not at one of the seller's domains "
        "(MAP_SELLER_DOMAINS: seller.example.com)"
    )
    # Not configured: anyone Google signed in may use it (colleagues see only their domain).
    assert web.post("/addon/home", web.event("DRIVE", rep="eve@buyer.example.org")).ok


@pytest.mark.parametrize(
    ("unset", "lines"),
    [
        (
            ["public_url"],
            [
                "  MAP_PUBLIC_URL: the service's public https URL, as in the add-on's "
                "deployment.json"
            ],
        ),
        (
            ["addon_service_account", "addon_client_id"],
            [
                "  MAP_ADDON_SERVICE_ACCOUNT: the add-on's service account "
                "(gcloud workspace-add-ons get-authorization: serviceAccountEmail)",
                "  MAP_ADDON_CLIENT_ID: the add-on's OAuth client id "
                "(gcloud workspace-add-ons get-authorization: oauthClientId)",
            ],
        ),
    ],
)
def test_production_refuses_to_start_without_its_settings(
    web: Web, unset: list[str], lines: list[str]
) -> None:
    settings = web.settings.model_copy(update=dict.fromkeys(unset, ""))
    with pytest.raises(NotConfigured) as refused:
        create_app(settings, app=web.app)
    assert str(refused.value) == "\n".join(
        [
            "the add-on service will not start: set these environment variables "
            "(cloudrun/deploy.sh sets them in service.yaml):",
            *lines,
        ]
    )


def test_production_refuses_a_public_url_that_is_not_https(web: Web) -> None:
    settings = web.settings.model_copy(update={"public_url": "map-addon.example.com"})
    with pytest.raises(NotConfigured) as refused:
        create_app(settings, app=web.app)
    assert str(refused.value) == (
        "the add-on service will not start: MAP_PUBLIC_URL is 'map-addon.example.com'; "
        "give the service's public https URL, e.g. https://map-addon-123.europe-west1.run.app"
    )


def test_gunicorn_does_not_start_the_service_without_its_settings(tmp_path: Path) -> None:
    """As on Cloud Run: the image's command, with MAP_PUBLIC_URL and the add-on's identity
    missing, exits instead of serving (so the revision never takes traffic)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAP_", "GUNICORN_", "PORT"))}
    env.update({"PORT": str(free_port()), "MAP_WORKSPACE": str(tmp_path / "ws")})
    gunicorn = Path(sys.executable).parent / "gunicorn"
    done = subprocess.run(
        [
            str(gunicorn),
            "--config",
            str(ROOT / "cloudrun" / "gunicorn.conf.py"),
            "addon.web:create_app()",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "the add-on service will not start: set these environment variables" in (
        done.stdout + done.stderr
    )
    assert "  MAP_PUBLIC_URL: the service's public https URL" in done.stdout + done.stderr
