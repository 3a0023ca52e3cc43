#!/usr/bin/env bash
# Deploys the Mutual Action Plan backend to Cloud Run and registers the Gmail + Drive add-on.
#
#   PROJECT=acme-map REGION=europe-west1 CLOUDSQL_INSTANCE=map-db \
#   MAP_GOOGLE_FOLDER=0ABcdEFgh MAP_SELLER_COMPANY="Acme Software" \
#   cloudrun/deploy.sh
#
# Safe to run again: each step creates what is missing and updates what is there. A run builds
# a new image and rolls out a new revision. See cloudrun/README.md for what it does, step by step.
#
# Settings, from the environment:
#   PROJECT              Google Cloud project id                                         (required)
#   REGION               Cloud Run, Artifact Registry and Cloud Tasks region             (required)
#   CLOUDSQL_INSTANCE    Cloud SQL instance name, or its connection name PROJECT:REGION:INSTANCE
#                                                                                        (required)
#   MAP_GOOGLE_FOLDER    id of the Shared Drive folder for MAPs and the roll-up          (required)
#   MAP_SELLER_COMPANY   the seller's name, shown in the MAP doc                         (required)
#   REGISTRY_SECRET      Secret Manager secret holding the registry URL  [map-registry-url]
#   REGISTRY_SECRET_VERSION  its version for the service, "latest" or a number  [latest]
#   MAP_REGISTRY_URL     only read to create REGISTRY_SECRET when it does not exist yet, e.g.
#                        postgresql+psycopg://USER:PASS@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE
#   SERVICE              Cloud Run service name                          [map-addon]
#   RUNTIME_SA_NAME      runtime service account name (before the @)     [map-runtime]
#   AR_REPOSITORY        Artifact Registry Docker repository             [map]
#   IMAGE                an image to deploy instead of building one
#                        [builds REGION-docker.pkg.dev/PROJECT/AR_REPOSITORY/SERVICE:UTC-time]
#   SERVICE_URL          the service's public URL if not its run.app URL (custom domain); it
#                        becomes MAP_PUBLIC_URL, the descriptor's URLs and the custom audiences
#   LOGO_URL             a public https URL of the add-on's logo
#                        [uploads addon/web/static/logo.png to gs://LOGO_BUCKET, made public]
#   LOGO_BUCKET          Cloud Storage bucket for the logo  [PROJECT-map-public]
#   QUEUE, SCHEDULE, TIME_ZONE   Cloud Tasks queue and Cloud Scheduler job  [map-sync, */15 * * * *, Etc/UTC]
#   DEPLOYMENT_ID        the Workspace add-on deployment                 [map-addon]
#   INSTALL_FOR_ME       1: install the add-on for the gcloud account (a test install)  [1]
#   MAP_CRM              salesforce or hubspot to connect the CRM  [none]; with it, CRM_SECRET
#                        (the Secret Manager secret holding the HubSpot service key or the
#                        Salesforce private key) and the MAP_CRM_*, MAP_SALESFORCE_* or
#                        MAP_HUBSPOT_* settings to keep (README, "The CRM")
#   DEPLOY_VENV          virtualenv this script uses for mapctl  [~/.cache/mutual-action-plan/deploy-venv]
#   PYTHON               Python 3.11+ for that virtualenv                [python3]
#
# What needs a human (once; the script stops with the command to run where it can check):
#   - gcloud logged in as a project Owner: `gcloud auth login` and, for mapctl cloud-setup,
#     `gcloud auth application-default login`.
#   - Cloud SQL: a PostgreSQL instance, a database and a user (cloudrun/README.md), and the
#     registry URL with that user's password in Secret Manager (or MAP_REGISTRY_URL on the first
#     run). Never in a file.
#   - The Shared Drive: add the runtime service account (printed at the end) as a member with the
#     Content manager role. A service account owns no files, so MAPs live there.
#   - The OAuth consent screen (Google Auth Platform: app name, support email; user type
#     Internal for a private add-on). Add-on users consent to the scopes in deployment.json.
#   - Everyone in the domain: publish a private Marketplace listing and have an admin install it
#     (cloudrun/README.md). This script only installs it for the account running it.
#
# Commands and fields checked against gcloud 528's help and the reference pages:
#   gcloud workspace-add-ons get-authorization, deployments describe|create|replace|install
#     https://cloud.google.com/sdk/gcloud/reference/workspace-add-ons (the Authorization
#     resource's serviceAccountEmail and oauthClientId: https://developers.google.com/workspace/
#     add-ons/reference/rest/v1/projects/getAuthorization)
#   gcloud builds submit --config --substitutions --ignore-file
#     https://cloud.google.com/sdk/gcloud/reference/builds/submit
#   gcloud run services replace FILE --region; run services describe (status.url)
#     https://cloud.google.com/sdk/gcloud/reference/run/services/replace
#   gcloud secrets create --data-file=- (reads stdin); add-iam-policy-binding --condition=None

set -euo pipefail

die() { printf 'deploy.sh: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }

missing=()
require() { # require NAME HINT: collect every missing setting, then report them together
  [[ -n "${!1:-}" ]] || missing+=("  $1: $2")
}
require PROJECT "the Google Cloud project id, e.g. PROJECT=acme-map"
require REGION "the region for Cloud Run, Cloud Tasks and the images, e.g. REGION=europe-west1"
require CLOUDSQL_INSTANCE "the Cloud SQL for PostgreSQL instance, e.g. CLOUDSQL_INSTANCE=map-db"
require MAP_GOOGLE_FOLDER "the id of the Shared Drive folder for MAPs (the last part of its URL)"
require MAP_SELLER_COMPANY "your company's name as buyers should see it, e.g. MAP_SELLER_COMPANY=\"Acme Software\""
if ((${#missing[@]})); then
  printf 'deploy.sh: set these environment variables and run again:\n' >&2
  printf '%s\n' "${missing[@]}" >&2
  exit 2
fi

SERVICE=${SERVICE:-map-addon}
RUNTIME_SA_NAME=${RUNTIME_SA_NAME:-map-runtime}
RUNTIME_SA="$RUNTIME_SA_NAME@$PROJECT.iam.gserviceaccount.com"
AR_REPOSITORY=${AR_REPOSITORY:-map}
REGISTRY_SECRET=${REGISTRY_SECRET:-map-registry-url}
REGISTRY_SECRET_VERSION=${REGISTRY_SECRET_VERSION:-latest}
QUEUE=${QUEUE:-map-sync}
SCHEDULE=${SCHEDULE:-"*/15 * * * *"}
TIME_ZONE=${TIME_ZONE:-Etc/UTC}
DEPLOYMENT_ID=${DEPLOYMENT_ID:-map-addon}
INSTALL_FOR_ME=${INSTALL_FOR_ME:-1}
PYTHON=${PYTHON:-python3}
DEPLOY_VENV=${DEPLOY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mutual-action-plan/deploy-venv}
SERVICE_URL_GIVEN=${SERVICE_URL:+1}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CLOUDSDK_CORE_DISABLE_PROMPTS=1

gc() { gcloud --project="$PROJECT" "$@"; }

retry() { # retry CMD...: a new service account takes a moment to be usable in IAM policies
  local attempt
  for attempt in 1 2 3 4 5; do
    "$@" && return 0
    ((attempt < 5)) || return 1
    note "retrying in $((attempt * 5))s"
    sleep $((attempt * 5))
  done
}

render() { # render TEMPLATE OUTPUT: fill each ${NAME} with the environment variable's value
  # Every placeholder sits inside a double-quoted JSON/YAML string, so the value goes in
  # JSON-escaped (valid in both). A placeholder with no variable stops the deploy.
  "$PY" - "$1" "$2" <<'EOF'
import json, os, re, sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
pattern = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
missing = sorted({n for n in pattern.findall(text) if n not in os.environ})
if missing:
    sys.exit(f"deploy.sh: {src}: no value for {', '.join(missing)}")
out = pattern.sub(lambda m: json.dumps(os.environ[m.group(1)])[1:-1], text)
if src.endswith(".json"):
    json.loads(out)
else:
    import yaml
    yaml.safe_load(out)
with open(dst, "w", encoding="utf-8") as f:
    f.write(out)
EOF
}

addon_authorization() { # prints "SERVICE_ACCOUNT<TAB>CLIENT_ID" of the project's add-ons
  # Fields of the gsuiteaddons v1 Authorization resource (projects.getAuthorization).
  gc workspace-add-ons get-authorization --format='value(serviceAccountEmail,oauthClientId)'
}

service_urls() { # the service's URLs, status.url (the one Cloud Run shows first) first
  gc run services describe "$SERVICE" --region="$REGION" --format=json | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
urls = [s.get("status", {}).get("url")]
urls += json.loads(s.get("metadata", {}).get("annotations", {}).get("run.googleapis.com/urls", "[]"))
print("\n".join(dict.fromkeys(u for u in urls if u)))'
}

crm_settings() { # the CRM's settings and secret, set again after each `services replace`
  [[ "${MAP_CRM:-none}" == none ]] && return 0
  [[ "$MAP_CRM" == salesforce || "$MAP_CRM" == hubspot ]] || die "MAP_CRM is $MAP_CRM; use salesforce or hubspot"
  [[ -n "${CRM_SECRET:-}" ]] || die "MAP_CRM=$MAP_CRM needs CRM_SECRET: the Secret Manager secret with the HubSpot service key or the Salesforce private key"
  local vars="MAP_CRM=$MAP_CRM" name target=MAP_HUBSPOT_SERVICE_KEY
  [[ "$MAP_CRM" == salesforce ]] && target=MAP_SALESFORCE_PRIVATE_KEY
  for name in MAP_CRM_GAP_STAGE MAP_CRM_GAP_AMOUNT MAP_CRM_STAGE_TEAMS MAP_CRM_DAILY_SHARE \
    MAP_SALESFORCE_LOGIN_URL MAP_SALESFORCE_CLIENT_ID MAP_SALESFORCE_USERNAME \
    MAP_SALESFORCE_API_VERSION MAP_HUBSPOT_BASE_URL MAP_HUBSPOT_PORTAL_ID MAP_HUBSPOT_APP_URL; do
    if [[ -n "${!name:-}" ]]; then vars+="@@$name=${!name}"; fi
  done
  retry gc secrets add-iam-policy-binding "$CRM_SECRET" --condition=None \
    --member="serviceAccount:$RUNTIME_SA" --role=roles/secretmanager.secretAccessor >/dev/null
  # ^@@^: gcloud's own delimiter syntax, since values (team lists) may hold commas.
  gc run services update "$SERVICE" --region="$REGION" "--update-env-vars=^@@^$vars" \
    "--update-secrets=$target=$CRM_SECRET:latest"
}

deploy_service() {
  # IAM accepts tokens for the run.app URL only, unless SERVICE_URL (a custom domain) and its
  # endpoints' URLs are custom audiences: the list comes from the app's own routes.
  CUSTOM_AUDIENCES=$("$PY" -m addon.web.audiences "$SERVICE_URL") ||
    die "SERVICE_URL $SERVICE_URL is not an https URL"
  export CUSTOM_AUDIENCES
  render cloudrun/service.yaml "$WORK/service.yaml"
  gc run services replace "$WORK/service.yaml" --region="$REGION"
  crm_settings  # `replace` sets exactly the template's settings: the CRM's go on again
}

step "Checking tools and logins"
command -v gcloud >/dev/null || die "gcloud is not installed: https://cloud.google.com/sdk/docs/install"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found; set PYTHON to a Python 3.11+"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$PYTHON is older than 3.11; set PYTHON to a Python 3.11+"
gcloud auth print-access-token >/dev/null 2>&1 || die "gcloud is not logged in: run gcloud auth login"
gcloud auth application-default print-access-token >/dev/null 2>&1 ||
  die "no Application Default Credentials (mapctl cloud-setup uses them): run gcloud auth application-default login"
note "gcloud account: $(gcloud config get-value account 2>/dev/null)"

step "Preparing $DEPLOY_VENV (mapctl, and YAML checks for the rendered files)"
[[ -x "$DEPLOY_VENV/bin/python" ]] || "$PYTHON" -m venv "$DEPLOY_VENV"
"$DEPLOY_VENV/bin/pip" install --quiet --disable-pip-version-check "$REPO_ROOT"
PY="$DEPLOY_VENV/bin/python"
"$DEPLOY_VENV/bin/mapctl" cloud-setup --help >/dev/null 2>&1 ||
  die "this checkout's mapctl has no cloud-setup command; update the checkout"

step "Enabling APIs"
# iam: creating the service account. The rest: the brief's list.
gc services enable \
  run.googleapis.com cloudbuild.googleapis.com artifactregistry.googleapis.com \
  cloudtasks.googleapis.com cloudscheduler.googleapis.com \
  sheets.googleapis.com drive.googleapis.com docs.googleapis.com gmail.googleapis.com \
  gsuiteaddons.googleapis.com sqladmin.googleapis.com secretmanager.googleapis.com \
  iam.googleapis.com storage.googleapis.com
PROJECT_NUMBER=$(gc projects describe "$PROJECT" --format='value(projectNumber)') ||
  die "cannot read project $PROJECT"

step "Runtime service account $RUNTIME_SA"
if ! gc iam service-accounts describe "$RUNTIME_SA" >/dev/null 2>&1; then
  gc iam service-accounts create "$RUNTIME_SA_NAME" \
    --display-name="Mutual Action Plan (Cloud Run, sync)"
fi
for role in roles/cloudtasks.enqueuer roles/cloudsql.client; do
  retry gc projects add-iam-policy-binding "$PROJECT" --condition=None \
    --member="serviceAccount:$RUNTIME_SA" --role="$role" >/dev/null
done
# The service creates Cloud Tasks whose OIDC token is for this same account: it must be allowed
# to act as itself (iam.serviceAccounts.actAs).
retry gc iam service-accounts add-iam-policy-binding "$RUNTIME_SA" --condition=None \
  --member="serviceAccount:$RUNTIME_SA" --role=roles/iam.serviceAccountUser >/dev/null

step "Cloud SQL instance and the registry secret"
if [[ "$CLOUDSQL_INSTANCE" == *:*:* ]]; then
  CLOUDSQL_CONNECTION=$CLOUDSQL_INSTANCE
else
  CLOUDSQL_CONNECTION=$(gc sql instances describe "$CLOUDSQL_INSTANCE" --format='value(connectionName)') ||
    die "no Cloud SQL instance $CLOUDSQL_INSTANCE in $PROJECT; create it first (cloudrun/README.md)"
fi
note "Cloud SQL connection: $CLOUDSQL_CONNECTION"
if ! gc secrets describe "$REGISTRY_SECRET" >/dev/null 2>&1; then
  [[ -n "${MAP_REGISTRY_URL:-}" ]] || die "no secret $REGISTRY_SECRET. Create it with the registry URL:
  printf '%s' 'postgresql+psycopg://USER:PASSWORD@/DATABASE?host=/cloudsql/$CLOUDSQL_CONNECTION' |
    gcloud secrets create $REGISTRY_SECRET --project=$PROJECT --data-file=-
or run again with MAP_REGISTRY_URL set once."
  printf '%s' "$MAP_REGISTRY_URL" |
    gc secrets create "$REGISTRY_SECRET" --replication-policy=automatic --data-file=-
fi
retry gc secrets add-iam-policy-binding "$REGISTRY_SECRET" --condition=None \
  --member="serviceAccount:$RUNTIME_SA" --role=roles/secretmanager.secretAccessor >/dev/null

if [[ -z "${IMAGE:-}" ]]; then
  step "Building the image with Cloud Build"
  if ! gc artifacts repositories describe "$AR_REPOSITORY" --location="$REGION" >/dev/null 2>&1; then
    gc artifacts repositories create "$AR_REPOSITORY" --location="$REGION" \
      --repository-format=docker --description="Mutual Action Plan images"
  fi
  IMAGE="$REGION-docker.pkg.dev/$PROJECT/$AR_REPOSITORY/$SERVICE:$(date -u +%Y%m%d-%H%M%S)"
  # A config rather than --tag, because the Dockerfile is not at the root (cloudbuild.yaml).
  gc builds submit . --config=cloudrun/cloudbuild.yaml --ignore-file=cloudrun/gcloudignore \
    --substitutions="_IMAGE=$IMAGE"
fi
note "image: $IMAGE"

step "Add-on service account and OAuth client (gcloud workspace-add-ons get-authorization)"
MAP_ADDON_SERVICE_ACCOUNT=""
MAP_ADDON_CLIENT_ID=""
if authorization=$(retry addon_authorization 2>/dev/null) && [[ -n "$authorization" ]]; then
  IFS=$'\t' read -r MAP_ADDON_SERVICE_ACCOUNT MAP_ADDON_CLIENT_ID <<<"$authorization"
  note "$MAP_ADDON_SERVICE_ACCOUNT, client $MAP_ADDON_CLIENT_ID"
else
  note "not available yet (the API was just enabled?); asking again after the deploy"
fi

step "Deploying Cloud Run service $SERVICE"
# The deterministic run.app URL is known before the service exists
# (https://cloud.google.com/run/docs/triggering/https-request, "Deterministic URL").
SERVICE_URL=${SERVICE_URL:-https://$SERVICE-$PROJECT_NUMBER.$REGION.run.app}
export PROJECT REGION SERVICE IMAGE RUNTIME_SA SERVICE_URL CLOUDSQL_CONNECTION \
  REGISTRY_SECRET REGISTRY_SECRET_VERSION QUEUE MAP_GOOGLE_FOLDER MAP_SELLER_COMPANY \
  MAP_ADDON_SERVICE_ACCOUNT MAP_ADDON_CLIENT_ID
deploy_service
redeploy=""
urls=$(service_urls) || die "cannot read the URLs of service $SERVICE"
if ! grep -qxF "$SERVICE_URL" <<<"$urls"; then
  if [[ -n "$SERVICE_URL_GIVEN" ]]; then
    note "SERVICE_URL $SERVICE_URL is not one of Cloud Run's URLs: make sure it routes to $SERVICE"
  else
    # e.g. a service name too long for a deterministic URL: use the one Cloud Run reports.
    SERVICE_URL=$(head -n1 <<<"$urls")
    [[ -n "$SERVICE_URL" ]] || die "Cloud Run reports no URL for $SERVICE"
    redeploy=1
  fi
fi
note "service URL: $SERVICE_URL"

if [[ -z "$MAP_ADDON_SERVICE_ACCOUNT" ]]; then
  authorization=$(addon_authorization) || die "gcloud workspace-add-ons get-authorization failed"
  IFS=$'\t' read -r MAP_ADDON_SERVICE_ACCOUNT MAP_ADDON_CLIENT_ID <<<"$authorization"
  [[ -n "$MAP_ADDON_SERVICE_ACCOUNT" ]] || die "the project has no add-on service account yet; run again in a few minutes"
  note "add-on service account $MAP_ADDON_SERVICE_ACCOUNT, client $MAP_ADDON_CLIENT_ID"
  redeploy=1
fi
if [[ -n "$redeploy" ]]; then
  step "Deploying again with the service URL and the add-on's identity"
  deploy_service
fi

step "Who may call the service (roles/run.invoker)"
# The add-on's service account: Gmail and Drive calling the add-on endpoints with a system ID
# token. The runtime service account: Cloud Scheduler and Cloud Tasks calling /tasks/* with its
# OIDC token. Nobody else: the service is not public.
for member in "serviceAccount:$MAP_ADDON_SERVICE_ACCOUNT" "serviceAccount:$RUNTIME_SA"; do
  retry gc run services add-iam-policy-binding "$SERVICE" --region="$REGION" --condition=None \
    --member="$member" --role=roles/run.invoker >/dev/null
done

step "Cloud Tasks queue $QUEUE and the Cloud Scheduler job (mapctl cloud-setup)"
# The queue's rate (0.4 dispatches a second, 2 at a time) is set there: it is what keeps the one
# service account under the Sheets per-user quota across all instances.
GOOGLE_CLOUD_QUOTA_PROJECT="$PROJECT" "$DEPLOY_VENV/bin/mapctl" cloud-setup \
  --project "$PROJECT" --location "$REGION" --queue "$QUEUE" \
  --service-url "$SERVICE_URL" --invoker "$RUNTIME_SA" \
  --schedule "$SCHEDULE" --time-zone "$TIME_ZONE"

step "The add-on's logo, where Gmail and Drive fetch it without a token"
# The service answers only callers with a Google-signed token (roles/run.invoker above) and
# the host fetches logoUrl without one, so the logo is served from a public bucket instead.
if [[ -z "${LOGO_URL:-}" ]]; then
  LOGO_BUCKET=${LOGO_BUCKET:-$PROJECT-map-public}
  if ! gc storage buckets describe "gs://$LOGO_BUCKET" >/dev/null 2>&1; then
    gc storage buckets create "gs://$LOGO_BUCKET" --location="$REGION" --uniform-bucket-level-access
  fi
  gc storage cp addon/web/static/logo.png "gs://$LOGO_BUCKET/logo.png" \
    --cache-control="public, max-age=3600"
  retry gc storage buckets add-iam-policy-binding "gs://$LOGO_BUCKET" \
    --member=allUsers --role=roles/storage.objectViewer >/dev/null ||
    die "cannot make gs://$LOGO_BUCKET public (an organization policy may forbid it): put the logo at a public https URL and run again with LOGO_URL set"
  LOGO_URL="https://storage.googleapis.com/$LOGO_BUCKET/logo.png"
fi
note "logo: $LOGO_URL"
export LOGO_URL

step "Workspace add-on deployment $DEPLOYMENT_ID"
render cloudrun/deployment.json "$WORK/deployment.json"
if gc workspace-add-ons deployments describe "$DEPLOYMENT_ID" >/dev/null 2>&1; then
  gc workspace-add-ons deployments replace "$DEPLOYMENT_ID" --deployment-file="$WORK/deployment.json"
else
  gc workspace-add-ons deployments create "$DEPLOYMENT_ID" --deployment-file="$WORK/deployment.json"
fi
if [[ "$INSTALL_FOR_ME" == 1 ]]; then
  # A test install for the gcloud account only; the domain gets it through the Marketplace.
  if ! gc workspace-add-ons deployments install "$DEPLOYMENT_ID"; then
    note "install failed; run: gcloud workspace-add-ons deployments install $DEPLOYMENT_ID --project=$PROJECT"
  fi
fi

step "Done"
cat >&2 <<EOF
    Service:             $SERVICE_URL  (image $IMAGE)
    Add-on deployment:   projects/$PROJECT_NUMBER/deployments/$DEPLOYMENT_ID
    Runtime account:     $RUNTIME_SA
    Still to do by hand, if not done yet:
      - add $RUNTIME_SA to the Shared Drive holding folder $MAP_GOOGLE_FOLDER
        as a Content manager;
      - OAuth consent screen, then the private Marketplace listing and the admin install
        for the domain (cloudrun/README.md).
EOF
