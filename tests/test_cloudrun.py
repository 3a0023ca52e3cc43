"""The deployment files agree with the app: every URL the add-on descriptor names is a POST
route the app serves (and the logo a GET), its scopes are exactly the ones the code asks
consent for, and the service keeps an instance warm so a card answers in time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from addon.config import Settings
from addon.web import ACTIONS, TASK_PATHS, TRIGGERS, audiences, create_app, refuse_to_start
from addon.web.cards import Actions
from addon.web.sidebar import ADDON_SCOPES
from tests.web_env import PUBLIC, Web

ROOT = Path(__file__).resolve().parents[1]
CLOUDRUN = ROOT / "cloudrun"
LOGO = "https://storage.googleapis.com/acme-map-map-public/logo.png"


def _urls(node: object) -> list[str]:
    if isinstance(node, dict):
        return [u for v in node.values() for u in _urls(v)]
    if isinstance(node, list):
        return [u for v in node for u in _urls(v)]
    return [node] if isinstance(node, str) and node.startswith(PUBLIC) else []


def test_descriptor_urls_and_scopes_match_the_app(web: Web) -> None:
    text = (CLOUDRUN / "deployment.json").read_text()
    text = text.replace("${SERVICE_URL}", PUBLIC).replace("${LOGO_URL}", LOGO)
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
    assert len(urls) == 4
    for url in urls:
        endpoint, _ = adapter.match(url.removeprefix(PUBLIC), method="POST")  # raises if absent
        assert endpoint
    # The host fetches the logo with no token: never from the service, which IAM guards.
    assert addons["common"]["logoUrl"] == LOGO


def test_the_logo_deploy_sh_publishes_is_the_apps_and_public() -> None:
    deploy = (CLOUDRUN / "deploy.sh").read_text()
    assert 'gc storage cp addon/web/static/logo.png "gs://$LOGO_BUCKET/logo.png"' in deploy
    assert "--member=allUsers --role=roles/storage.objectViewer" in deploy
    assert 'LOGO_URL="https://storage.googleapis.com/$LOGO_BUCKET/logo.png"' in deploy
    logo = ROOT / "addon" / "web" / "static" / "logo.png"
    assert logo.read_bytes()[:4] == b"\x89PNG"


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


CUSTOM_DOMAIN = "https://map.acme.example"
DEPLOY_ENV = {
    "PROJECT": "acme-map",
    "REGION": "europe-west1",
    "SERVICE": "map-addon",
    "IMAGE": "europe-west1-docker.pkg.dev/acme-map/map/map-addon:20261129-230000",
    "RUNTIME_SA": "map-runtime@acme-map.iam.gserviceaccount.com",
    "SERVICE_URL": CUSTOM_DOMAIN,
    "CLOUDSQL_CONNECTION": "acme-map:europe-west1:map-db",
    "REGISTRY_SECRET": "map-registry-url",
    "REGISTRY_SECRET_VERSION": "latest",
    "QUEUE": "map-sync",
    "MAP_GOOGLE_FOLDER": "0ABcdEFgh",
    "MAP_SELLER_COMPANY": 'Acme "Software"',
    "MAP_ADDON_SERVICE_ACCOUNT": "service-42@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
    "MAP_ADDON_CLIENT_ID": "42-addon.apps.googleusercontent.com",
    "LOGO_URL": LOGO,
}


def _render(name: str, env: dict[str, str], out: Path) -> str:
    """The file as deploy.sh renders it: its own renderer (the script's heredoc), run."""
    deploy = (CLOUDRUN / "deploy.sh").read_text()
    code = deploy.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    subprocess.run(
        [sys.executable, "-", str(CLOUDRUN / name), str(out)],
        input=code,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return out.read_text()


def test_audiences_and_accounts_agree_on_a_custom_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered as deploy.sh renders them for a custom domain: every URL Google's tokens
    name is one the service's IAM accepts (custom audiences) and the app checks
    (MAP_PUBLIC_URL + path), and the accounts are the ones deploy.sh grants run.invoker."""
    deploy = (CLOUDRUN / "deploy.sh").read_text()
    assert 'CUSTOM_AUDIENCES=$("$PY" -m addon.web.audiences "$SERVICE_URL")' in deploy
    made = subprocess.run(
        [sys.executable, "-m", "addon.web.audiences", CUSTOM_DOMAIN],
        capture_output=True,
        text=True,
        check=True,
    )
    env = {**DEPLOY_ENV, "CUSTOM_AUDIENCES": made.stdout.strip()}
    service = yaml.safe_load(_render("service.yaml", env, tmp_path / "service.yaml"))
    descriptor = json.loads(_render("deployment.json", env, tmp_path / "deployment.json"))
    accepted = json.loads(service["metadata"]["annotations"]["run.googleapis.com/custom-audiences"])
    assert accepted == audiences(CUSTOM_DOMAIN)

    spec = service["spec"]["template"]["spec"]
    container_env = {e["name"]: e["value"] for e in spec["containers"][0]["env"] if "value" in e}
    for name, value in container_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAP_WORKSPACE", str(tmp_path / "ws"))
    settings = Settings()
    refuse_to_start(settings)  # everything production needs is there
    assert settings.public_url == CUSTOM_DOMAIN

    triggers = [u for u in _urls_under(descriptor["addOns"], CUSTOM_DOMAIN)]
    assert len(triggers) == 4
    checked = [settings.public_url + path for path in (*TRIGGERS, *TASK_PATHS)]
    actions = [Actions(settings.public_url).url(name) for name in ACTIONS]
    assert set(triggers) <= set(checked)
    assert set(checked + actions) <= set(accepted)

    runtime = DEPLOY_ENV["RUNTIME_SA"]
    assert settings.addon_service_account == DEPLOY_ENV["MAP_ADDON_SERVICE_ACCOUNT"]
    assert settings.invoker_service_account == runtime == spec["serviceAccountName"]
    assert settings.google_service_account == runtime
    assert (
        'for member in "serviceAccount:$MAP_ADDON_SERVICE_ACCOUNT" "serviceAccount:$RUNTIME_SA"'
        in deploy
    )
    assert '--service-url "$SERVICE_URL" --invoker "$RUNTIME_SA"' in deploy
    assert 'RUNTIME_SA="$RUNTIME_SA_NAME@$PROJECT.iam.gserviceaccount.com"' in deploy


def _urls_under(node: object, base: str) -> list[str]:
    if isinstance(node, dict):
        return [u for v in node.values() for u in _urls_under(v, base)]
    if isinstance(node, list):
        return [u for v in node for u in _urls_under(v, base)]
    return [node] if isinstance(node, str) and node.startswith(base) else []


def test_the_documented_concurrency_is_the_services() -> None:
    service = yaml.safe_load((CLOUDRUN / "service.yaml").read_text())
    concurrency = service["spec"]["template"]["spec"]["containerConcurrency"]
    gunicorn = (CLOUDRUN / "gunicorn.conf.py").read_text()
    assert 'threads = int(os.environ.get("GUNICORN_THREADS", "8"))' in gunicorn
    assert concurrency == 8
    said = [
        int(n)
        for doc in (ROOT / "README.md", CLOUDRUN / "README.md")
        for n in re.findall(r"concurrency (\d+)", doc.read_text())
    ]
    assert said and set(said) == {concurrency}


def test_the_image_is_pinned_by_digest_and_hashes() -> None:
    docker = (CLOUDRUN / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim@sha256:[0-9a-f]{64}$", docker, re.M)
    assert re.findall(r"^FROM (\S+)", docker, re.M) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert "pip install --no-cache-dir --require-hashes -r cloudrun/requirements.lock" in docker
    assert "pip install --no-cache-dir --no-deps ." in docker
    assert re.findall(r"^RUN (pip install[^\n]*)", docker, re.M) == [
        "pip install --no-cache-dir --require-hashes -r cloudrun/requirements.lock",
        "pip install --no-cache-dir --no-deps .",
    ]
    lock = (CLOUDRUN / "requirements.lock").read_text()
    pinned = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", lock, re.M))
    entries = re.split(r"\n(?=[a-z0-9])", lock)
    entries = [e for e in entries if re.match(r"[a-z0-9][^\n]*==", e)]
    assert len(entries) == len(pinned) > 40
    for entry in entries:  # every package carries at least one sha256
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.splitlines()[0]
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", d)[0].lower().replace("_", "-") for d in wanted}
    assert names <= set(pinned)
    for line in (CLOUDRUN / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert pinned[name] == version
