"""The add-on's web service: Flask app factory, verified add-on endpoints, background sync.

    create_app()            settings from MAP_* environment variables (Cloud Run), or given
    GET  /healthz           liveness: the registry answers
    POST /addon/home        homepage (Gmail and Drive): the rep's MAPs
    POST /addon/gmail       Gmail contextual trigger: the thread's MAP, or Create MAP
    POST /addon/drive/selected   Drive items selected: a MAP Sheet's status
    POST /addon/actions/<name>   card clicks: open, home, new, create, sync, share
    POST /tasks/sync        Cloud Scheduler: find MAPs to sync; inline or one task each;
                            then send the alerts and digests that are due
    POST /tasks/sync-map    Cloud Tasks: sync one MAP
    POST /tasks/rollup      Cloud Tasks: write the roll-up after a fan-out

Every /addon and /tasks request is verified before any work (addon/web/verify.py); anything
unverified is a 401 with no work done. Gunicorn serves it on $PORT (cloudrun/).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, jsonify, request
from googleapiclient.errors import HttpError
from pydantic import ValidationError

from addon.alerts import DeliveryReport, deliver
from addon.app import App
from addon.config import Settings
from addon.errors import NotFound
from addon.google.auth import service_identity
from addon.google.transport import authorized_http
from addon.sync import ACTIVE, sync_map, write_rollup
from addon.web import cards
from addon.web.background import TaskQueue, scheduled_sync
from addon.web.events import Event
from addon.web.gmail import GmailReader, MessageReader
from addon.web.logs import configure_logging
from addon.web.sidebar import Sidebar, failure_text
from addon.web.verify import Rep, Unverified, Verifier, bearer

log = logging.getLogger("addon.web")

Handler = Callable[[Sidebar, Event, Rep], dict[str, Any]]
TRIGGERS: dict[str, tuple[str, Handler]] = {
    "/addon/home": ("home", Sidebar.home),
    "/addon/gmail": ("gmail", Sidebar.gmail),
    "/addon/drive/selected": ("drive", Sidebar.drive),
}
ACTIONS: dict[str, Handler] = {
    "retry": Sidebar.retry,
    "open": Sidebar.open,
    "home": Sidebar.home_action,
    "new": Sidebar.new,
    "create": Sidebar.create,
    "sync": Sidebar.sync,
    "share": Sidebar.share,
    "export": Sidebar.export,
    "offer": Sidebar.offer,
    "close": Sidebar.close,
    "close_confirm": Sidebar.close_confirm,
    "reopen": Sidebar.reopen,
    "merge": Sidebar.merge,
    "followup": Sidebar.followup,
    "deal": Sidebar.deal,
    "import_attached": Sidebar.import_attached,
    "import_create": Sidebar.import_create,
    "drive_import": Sidebar.drive_import,
    "reminders": Sidebar.reminders,
}


TASK_PATHS = ("/tasks/sync", "/tasks/sync-map", "/tasks/rollup")


def audiences(public_url: str) -> list[str]:
    """Every audience a token for this service names: the service's URL, and each endpoint's
    URL (Google's system ID tokens and Scheduler's and Tasks' OIDC tokens are minted for the
    endpoint's full URL). On a custom domain Cloud Run's IAM check accepts only its run.app
    URL unless these are its custom audiences
    (https://cloud.google.com/run/docs/configuring/custom-audiences): deploy.sh puts them in
    service.yaml's run.googleapis.com/custom-audiences."""
    base = public_url.rstrip("/")
    paths = [*TRIGGERS, *(f"/addon/actions/{name}" for name in ACTIONS), *TASK_PATHS]
    return [base, *(base + path for path in paths)]


def _http_request(response: Response) -> dict[str, Any]:
    """Cloud Logging's HttpRequest for this request (LogEntry.httpRequest, logging v2)."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    fields: dict[str, Any] = {
        "requestMethod": request.method,
        "requestUrl": request.path,
        "status": response.status_code,
        "latency": f"{time.perf_counter() - g.get('started', 0.0):.3f}s",
        "remoteIp": forwarded.split(",")[0].strip() or request.remote_addr or "",
        "userAgent": request.user_agent.string,
        "protocol": request.environ.get("SERVER_PROTOCOL", ""),
    }
    if response.content_length is not None:
        fields["responseSize"] = str(response.content_length)  # int64: a JSON string
    return {k: v for k, v in fields.items() if v != ""}


def _alert_counts(report: DeliveryReport) -> dict[str, int]:
    states = ("sent", "held", "retry", "failed", "off")
    return {**{s: report.count(s) for s in states}, "digests": report.digests}


def _task_queue(settings: Settings) -> TaskQueue | None:
    if not settings.tasks_queue:
        return None
    identity = service_identity(settings.google_service_account)
    return TaskQueue(
        settings.tasks_queue,
        settings.public_url,
        settings.invoker_service_account,
        authorized_http(identity.credentials, settings.google_timeout),
        root_url=settings.google_root_url,
    )


REQUIRED = {
    "public_url": "the service's public https URL, as in the add-on's deployment.json",
    "addon_service_account": "the add-on's service account "
    "(gcloud workspace-add-ons get-authorization: serviceAccountEmail)",
    "addon_client_id": "the add-on's OAuth client id "
    "(gcloud workspace-add-ons get-authorization: oauthClientId)",
}


class NotConfigured(Exception):
    """The service is missing a setting it cannot verify callers without."""


def refuse_to_start(settings: Settings) -> None:
    """Fail closed: without these every token's audience or signer would be unchecked."""
    missing = [
        f"  MAP_{name.upper()}: {what}"
        for name, what in REQUIRED.items()
        if not str(getattr(settings, name)).strip()
    ]
    if missing:
        raise NotConfigured(
            "the add-on service will not start: set these environment variables "
            "(cloudrun/deploy.sh sets them in service.yaml):\n" + "\n".join(missing)
        )
    if not settings.public_url.startswith("https://"):
        raise NotConfigured(
            f"the add-on service will not start: MAP_PUBLIC_URL is {settings.public_url!r}; "
            "give the service's public https URL, e.g. https://map-addon-123.europe-west1.run.app"
        )


def create_app(
    settings: Settings | None = None,
    *,
    app: App | None = None,
    verifier: Verifier | None = None,
    reader: MessageReader | None = None,
    queue: TaskQueue | None = None,
    now: Callable[[], datetime] = datetime.now,
    preview: dict[str, Any] | None = None,
) -> Flask:
    """The WSGI app. Everything it talks to can be handed in (tests, the local preview);
    by default it is built from the settings.

    It refuses to start without the settings every token check needs (`refuse_to_start`),
    unless `preview` is given: only `mapctl serve` passes it, for its local card preview on
    loopback. No environment variable turns the checks off, so no deployment can."""
    settings = settings or Settings()
    if preview is None:
        refuse_to_start(settings)
    configure_logging(settings.log_format)
    core = app or App(settings)
    verifier = verifier or Verifier(settings.certs_url)
    queue = queue if queue is not None else _task_queue(settings)
    sidebar = Sidebar(
        core,
        reader or GmailReader(settings.google_root_url),
        settings.public_url,
        seller_domains=settings.seller_domain_list(),
        now=now,
    )
    web = Flask(__name__)
    web.config["MAP_SETTINGS"] = settings
    web.extensions["map"] = {"app": core, "sidebar": sidebar, "queue": queue}

    @web.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @web.after_request
    def _finish(response: Response) -> Response:
        # The one line per request (gunicorn's access log is off: cloudrun/gunicorn.conf.py),
        # with Cloud Logging's httpRequest and what the request came to (`outcome`).
        if request.path != "/healthz":
            log.log(
                logging.ERROR if response.status_code >= 500 else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={"httpRequest": _http_request(response), "outcome": g.get("outcome", "")},
            )
        return response

    def refuse(reason: str) -> tuple[Response, int]:
        g.outcome = "unverified"
        log.warning("refused: %s", reason)
        return jsonify(error="unauthorized"), 401

    def audience() -> str:
        return settings.public_url.rstrip("/") + request.path

    def addon_call(endpoint: str, handler: Handler, *, trigger: bool = False) -> Any:
        try:
            verifier.system(
                bearer(request.headers.get("Authorization", "")),
                audience(),
                settings.addon_service_account,
            )
        except Unverified as exc:
            return refuse(str(exc))
        try:
            event = Event.model_validate(request.get_json(force=True, silent=True) or {})
        except ValidationError as exc:
            g.outcome = "bad event"
            return jsonify(error=f"not an add-on event: {exc.errors()[0]['msg']}"), 400
        try:
            rep = verifier.user(
                event.auth.user_id_token,
                settings.addon_client_id,
                settings.seller_domain_list(),
            )
        except Unverified as exc:
            return refuse(str(exc))
        if missing := sidebar.missing_scopes(endpoint, event):
            g.outcome = "consent asked"
            return jsonify(cards.request_scopes(missing))
        try:
            return jsonify(handler(sidebar, event, rep))
        except Exception as exc:  # the rep always gets an answer; the log gets the detail
            return jsonify(failed(endpoint, trigger, event, rep, exc))

    def failed(
        endpoint: str, trigger: bool, event: Event, rep: Rep, exc: Exception
    ) -> dict[str, Any]:
        """The answer to a request that failed. A trigger (and the error card's Retry) must
        answer with a card, so it gets the error card with a Retry button; a card click
        gets a notification. Either way the text says what happened, never a trace, and
        carries a reference the log line carries too."""
        ref = uuid.uuid4().hex[:8]
        text = failure_text(exc)
        if text:  # Google said no, or the rep's input or the MAP's files were the trouble
            g.outcome = f"{type(exc).__name__} {ref}"
            log.warning("%s failed for %s (ref %s): %s", endpoint, rep.email, ref, exc)
        else:
            g.outcome = f"error {ref}"
            log.exception("%s failed for %s (ref %s)", endpoint, rep.email, ref)
            text = "Something went wrong on our side; nothing was lost. Try again."
        if trigger:
            return cards.push(cards.error_card(text, ref, endpoint, sidebar.actions))
        if endpoint == "retry":
            retry = sidebar.trigger_of(event)
            return cards.update(cards.error_card(text, ref, retry, sidebar.actions))
        return cards.notify(f"{text} (ref {ref})")

    for path, (endpoint, handler) in TRIGGERS.items():
        web.add_url_rule(
            path,
            endpoint=endpoint,
            view_func=lambda endpoint=endpoint, handler=handler: addon_call(
                endpoint, handler, trigger=True
            ),
            methods=["POST"],
        )

    @web.post("/addon/actions/<name>")
    def action(name: str) -> Any:
        handler = ACTIONS.get(name)
        if handler is None:
            return jsonify(error=f"no action {name!r}"), 404
        return addon_call(name, handler)

    # --- background ---------------------------------------------------------------------

    def invoked() -> str | None:
        try:
            verifier.invoker(
                bearer(request.headers.get("Authorization", "")),
                audience(),
                settings.invoker_service_account,
            )
        except Unverified as exc:
            return str(exc)
        return None

    @web.post("/tasks/sync")
    def scheduled() -> Any:
        if reason := invoked():
            return refuse(reason)
        plan = scheduled_sync(
            workspace=core.workspace,
            registry=core.registry,
            today_of=core.today_of,
            now=now(),
            queue=queue,
            inline_limit=settings.inline_sync_limit,
            interval_minutes=settings.sync_interval_minutes,
            crm=core.push_crm,
        )
        g.outcome = plan.mode
        # Every scheduled run also sends what is due: alerts this sync raised, held ones
        # whose quiet hours ended, retries, and the digests whose hour has come.
        sent = deliver(core.registry, core.channels(), now())
        return jsonify({**plan.json(), "alerts": _alert_counts(sent)})

    @web.post("/tasks/sync-map")
    def sync_one() -> Any:
        if reason := invoked():
            return refuse(reason)
        map_id = str((request.get_json(force=True, silent=True) or {}).get("map_id", ""))
        try:
            row = core.registry.get(map_id)
        except NotFound as exc:  # gone since it was queued: nothing to retry
            return jsonify(outcome="skipped", message=str(exc))
        try:
            result = sync_map(
                row, workspace=core.workspace, registry=core.registry, today=core.today_of(row)
            )
        except HttpError as exc:  # Google still busy after our retries: let Cloud Tasks retry
            log.warning(
                "sync of %s: Google answered %s; Cloud Tasks retries", map_id, exc.resp.status
            )
            return jsonify(outcome="retry", status=exc.resp.status), 503
        g.outcome = result.outcome
        return jsonify(outcome=result.outcome, message=result.message, health=result.health)

    @web.post("/tasks/rollup")
    def rollup() -> Any:
        if reason := invoked():
            return refuse(reason)
        active = core.registry.maps(ACTIVE)
        today = max((core.today_of(m) for m in active), default=now().date())
        crm = core.push_crm(today)  # the fan-out's MAPs, batched to the CRM in one go
        ref = write_rollup(core.workspace, core.registry, today)
        sent = deliver(core.registry, core.channels(), now())  # what the fan-out raised
        crm_counts = (
            {o: crm.count(o) for o in ("written", "unchanged", "moved", "failed", "deferred")}
            if crm
            else None
        )
        return jsonify(rollup=ref, alerts=_alert_counts(sent), crm=crm_counts)

    @web.get("/healthz")
    def healthz() -> Any:
        core.registry.ping()
        return jsonify(status="ok", backend=settings.backend)

    if preview is not None:
        from addon.web.preview import register

        register(web, sidebar, **preview)
    return web
