"""Configuration, layered: defaults, then MAP_* environment variables, then arguments."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAP_", extra="ignore")

    workspace: Path = Field(
        default=Path("map-workspace"), description="folder of the local workspace"
    )
    registry_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in the workspace folder"
    )
    template_dir: Path | None = Field(
        default=None, description="a folder of team templates (NAME.yaml)"
    )
    today: date | None = Field(default=None, description="pin today's date (YYYY-MM-DD)")
    seller_company: str = Field(
        default="Example Software", description="the seller's name, shown in the MAP doc"
    )

    backend: Literal["local", "google"] = Field(
        default="local", description="where MAP files live: local (.xlsx on disk) or google"
    )
    google_auth: Literal["service", "user"] = Field(
        default="service",
        description="service: the service's own account (Application Default Credentials); "
        "user: a rep's OAuth access token (google_user_token)",
    )
    google_user_token: str | None = Field(
        default=None, description="the rep's OAuth access token, for google_auth=user"
    )
    google_user_email: str = Field(default="", description="the rep's email, for google_auth=user")
    google_service_account: str = Field(
        default="", description="the service account's email, when ADC does not say it"
    )
    google_folder: str | None = Field(
        default=None,
        description="Drive folder id for MAPs and the roll-up: a Shared Drive (or a folder in "
        "one) so a rep leaving takes nothing; empty: the acting user's My Drive",
    )
    google_root_url: str | None = Field(
        default=None, description="send Google API calls to this server instead (a test fake)"
    )
    google_timeout: float = Field(
        default=60.0, gt=0, description="seconds before a call is retried"
    )

    # --- the add-on's web service (addon/web) ---------------------------------------------
    public_url: str = Field(
        default="",
        description="the service's public https URL as Google calls it: every token's audience "
        "is this plus the path (behind Cloud Run's proxy the request URL says http://)",
    )
    addon_service_account: str = Field(
        default="",
        description="the add-on's service account (service-PROJECT_NUMBER@gcp-sa-gsuiteaddons"
        ".iam.gserviceaccount.com): only its system ID tokens are accepted",
    )
    addon_client_id: str = Field(
        default="", description="the add-on's OAuth client id: the audience of user ID tokens"
    )
    invoker_service_account: str = Field(
        default="",
        description="the account Cloud Scheduler and Cloud Tasks sign their OIDC tokens as",
    )
    tasks_queue: str = Field(
        default="",
        description="Cloud Tasks queue (projects/P/locations/L/queues/Q) for the per-MAP sync "
        "fan-out; empty: the scheduled sync runs inline",
    )
    inline_sync_limit: int = Field(
        default=3, ge=0, description="at most this many MAPs sync inline when a queue is set"
    )
    sync_interval_minutes: int = Field(
        default=15, ge=1, le=1440, description="how often Cloud Scheduler calls /tasks/sync"
    )
    certs_url: str = Field(
        default="https://www.googleapis.com/oauth2/v1/certs",
        description="where Google's ID-token signing certificates are published",
    )
    seller_domains: str = Field(
        default="",
        description="comma-separated email domains of the seller's own people (besides the "
        "rep's own domain), never offered as buyer contacts; when set, only people at these "
        "domains may use the add-on",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one JSON object a line, as Cloud Logging reads"
    )

    # --- alerts (addon/alerts.py) --------------------------------------------------------
    smtp_host: str = Field(
        default="",
        description="SMTP relay for alert emails; empty on the local workspace: .eml files "
        "in the workspace's outbox/ folder",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = Field(default="", description="SMTP login, if the relay asks for one")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_starttls: bool = Field(default=True, description="STARTTLS after connecting")
    smtp_implicit_tls: bool = Field(default=False, description="TLS from the start (port 465)")
    mail_from: str = Field(
        default="MAP alerts <map-alerts@example.com>",
        description="the sender of alert emails (buyer reminders show the rep's name; "
        "replies go to the rep)",
    )
    chat_webhook: SecretStr | None = Field(
        default=None, description="Google Chat incoming webhook URL of the seller team's space"
    )
    slack_webhook: SecretStr | None = Field(
        default=None, description="Slack incoming webhook URL of the seller team's channel"
    )
    quiet_start: int = Field(
        default=20, ge=0, le=23, description="quiet hours start (recipient's local hour)"
    )
    quiet_end: int = Field(
        default=8, ge=0, le=23, description="quiet hours end (recipient's local hour)"
    )
    digest_hour: int = Field(
        default=8, ge=0, le=23, description="digests go out from this local hour"
    )

    # --- the CRM (addon/crm) ------------------------------------------------------------
    crm: Literal["none", "salesforce", "hubspot"] = Field(
        default="none", description="the CRM whose deals carry each plan's signals"
    )
    crm_ca_bundle: Path | None = Field(
        default=None,
        description="a CA bundle (PEM) to trust for the CRM, e.g. a corporate proxy's; "
        "the default trusts the usual public authorities",
    )
    crm_timeout: float = Field(default=30.0, gt=0, description="seconds before a CRM call fails")
    crm_gap_stage: str = Field(
        default="",
        description="open deals at or past this stage (name or id) with no MAP are listed "
        "as gaps; empty: no gap list",
    )
    crm_gap_amount: float = Field(
        default=0.0, ge=0, description="only deals worth at least this much are gaps"
    )
    crm_stage_teams: str = Field(
        default="",
        description="teams (comma-separated, or *) whose done milestones move the deal's "
        "stage; empty: no MAP moves a stage",
    )
    crm_daily_share: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Salesforce: stop writing at this share of the org's daily API allowance",
    )
    salesforce_login_url: str = Field(
        default="https://login.salesforce.com",
        description="where the service logs in: https://login.salesforce.com, "
        "https://test.salesforce.com (a sandbox) or your My Domain URL",
    )
    salesforce_client_id: str = Field(
        default="", description="the External Client App's consumer key"
    )
    salesforce_client_secret: SecretStr | None = Field(
        default=None,
        description="the consumer secret: the client-credentials flow (the app's Run As user)",
    )
    salesforce_username: str = Field(
        default="", description="the integration user, for the JWT bearer flow"
    )
    salesforce_private_key: SecretStr | None = Field(
        default=None, description="the JWT bearer flow's private key (PEM text)"
    )
    salesforce_private_key_file: Path | None = Field(
        default=None, description="the JWT bearer flow's private key, as a file"
    )
    salesforce_api_version: str = Field(default="62.0", pattern=r"^\d{2}\.0$")
    hubspot_base_url: str = Field(
        default="https://api.hubapi.com", description="HubSpot's API base URL"
    )
    hubspot_service_key: SecretStr | None = Field(
        default=None,
        description="a HubSpot service key (Development > Keys > Service keys) with the "
        "deal, contact, company, owner and schema scopes",
    )
    hubspot_portal_id: str = Field(
        default="", description="the HubSpot account id, for links to deals"
    )
    hubspot_app_url: str = Field(
        default="https://app.hubspot.com", description="where people open HubSpot records"
    )

    def stage_team(self, team: str) -> bool:
        """Whether a MAP of `team` may move its deal's stage (MAP_CRM_STAGE_TEAMS)."""
        teams = {t.strip().lower() for t in self.crm_stage_teams.split(",") if t.strip()}
        return "*" in teams or team.strip().lower() in teams

    def seller_domain_list(self) -> tuple[str, ...]:
        """MAP_SELLER_DOMAINS as domains: 'Acme.com, acme.de' -> ('acme.com', 'acme.de')."""
        return tuple(d.strip().lower() for d in self.seller_domains.split(",") if d.strip())

    def registry(self) -> str:
        return self.registry_url or f"sqlite:///{(self.workspace / 'registry.sqlite').resolve()}"
