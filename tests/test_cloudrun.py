"""The deployment files agree with the app: every URL the add-on descriptor names is a POST
route the app serves (and the logo a GET), its scopes are exactly the ones the code asks
consent for, and the service keeps an instance warm so a card answers in time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from addon.web import create_app
from addon.web.sidebar import ADDON_SCOPES
from tests.web_env import PUBLIC, Web

CLOUDRUN = Path(__file__).resolve().parents[1] / "cloudrun"


def _urls(node: object) -> list[str]:
    if isinstance(node, dict):
        return [u for v in node.values() for u in _urls(v)]
    if isinstance(node, list):
        return [u for v in node for u in _urls(v)]
    return [node] if isinstance(node, str) and node.startswith(PUBLIC) else []


def test_descriptor_urls_and_scopes_match_the_app(web: Web) -> None:
    text = (CLOUDRUN / "deployment.json").read_text().replace("${SERVICE_URL}", PUBLIC)
    assert "${" not in text
    descriptor = json.loads(text)
    addons = descriptor["addOns"]
    assert addons["common"]["useLocaleFromApp"] is True
    # useLocaleFromApp sends the rep's locale and time zone only with this scope granted.
    assert "https://www.googleapis.com/auth/script.locale" in descriptor["oauthScopes"]
    assert addons["httpOptions"]["authorizationHeader"] == "SYSTEM_ID_TOKEN"
    assert set(descriptor["oauthScopes"]) == set(ADDON_SCOPES)
    assert len(descriptor["oauthScopes"]) == len(ADDON_SCOPES)
    assert (
        "https://www.googleapis.com/auth/drive" not in descriptor["oauthScopes"]
    )  # not full Drive

    app = create_app(web.settings.model_copy(update={"tasks_queue": ""}), app=web.app)
    adapter = app.url_map.bind("map-addon.example.com")
    urls = _urls(addons)
    assert len(urls) == 5
    for url in urls:
        path = url.removeprefix(PUBLIC)
        method = "GET" if path.startswith("/static/") else "POST"
        endpoint, _ = adapter.match(path, method=method)  # raises when not served
        assert endpoint
    logo = web.session.get(web.url + "/static/logo.png", timeout=5)
    assert logo.status_code == 200 and logo.content[:4] == b"\x89PNG"


def test_service_definition() -> None:
    service = yaml.safe_load((CLOUDRUN / "service.yaml").read_text())
    template = service["spec"]["template"]
    assert template["metadata"]["annotations"]["autoscaling.knative.dev/minScale"] == "1"
    container = template["spec"]["containers"][0]
    env = {e["name"] for e in container["env"]}
    assert {"MAP_BACKEND", "MAP_PUBLIC_URL", "MAP_ADDON_SERVICE_ACCOUNT", "MAP_TASKS_QUEUE"} <= env
    assert template["spec"]["containerConcurrency"] <= 8  # gunicorn's threads


def test_dockerfile_runs_gunicorn_as_non_root() -> None:
    docker = (CLOUDRUN / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root|0\b)", docker, re.M)
    assert "gunicorn" in docker and "addon.web:create_app()" in docker
