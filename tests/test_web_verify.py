"""Every add-on and task endpoint refuses a request that does not prove who sent it: 401, no
work done. Tokens are signed with a local key; its certificate is served over HTTP."""

from __future__ import annotations

import time

import pytest

from addon.web.verify import Verifier
from tests.web_env import ADDON_SA, CLIENT_ID, INVOKER, PUBLIC, Web, sign


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
