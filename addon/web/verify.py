"""Who is calling: Google-signed ID tokens, checked before any work is done.

Three kinds of caller, each proven by an ID token that Google signed (RS256, keys published
at `certs_url`):
- Google calling an add-on endpoint: the system ID token in `Authorization: Bearer`, whose
  audience is the endpoint's URL as configured (behind Cloud Run's proxy Flask sees http://,
  so the URL is never built from the request) and whose email is the add-on's own service
  account, verified.
- The rep: the user ID token in the event (audience: the add-on's OAuth client id).
- Cloud Scheduler and Cloud Tasks: an OIDC token for the invoker service account, audience
  the endpoint's URL.

Verification is google-auth's (`google.oauth2.id_token.verify_token`: signature, expiry,
audience); the certificates are fetched through a CacheControl session, so they are fetched
once and then kept for as long as Google's Cache-Control header allows, as google-auth's
documentation recommends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cachecontrol
import requests
from google.auth import exceptions as auth_exceptions
from google.auth.transport import Request
from google.auth.transport.requests import Request as RequestsRequest
from google.oauth2 import id_token

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CLOCK_SKEW_SECONDS = 10


class Unverified(Exception):
    """The request did not prove who sent it; the message says what was wrong."""


@dataclass(frozen=True)
class Rep:
    email: str
    name: str
    subject: str


def cached_request() -> Request:
    """A google-auth transport whose GETs honour Cache-Control (certificates, fetched once)."""
    return RequestsRequest(session=cachecontrol.CacheControl(requests.Session()))


def bearer(value: str) -> str:
    """The token of an `Authorization: Bearer ...` header."""
    if not value.startswith("Bearer ") or not value[7:].strip():
        raise Unverified("no bearer token in the Authorization header")
    return value[7:].strip()


class Verifier:
    def __init__(self, certs_url: str, request: Request | None = None) -> None:
        self.certs_url = certs_url
        self.request = request or cached_request()

    def _claims(self, token: str, audience: str, what: str) -> dict[str, Any]:
        if not audience:
            raise Unverified(f"{what}: no audience is configured, so no token can be accepted")
        try:
            claims = dict(
                id_token.verify_token(
                    token,
                    self.request,
                    audience=audience,
                    certs_url=self.certs_url,
                    clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
                )
            )
        except (ValueError, auth_exceptions.GoogleAuthError) as exc:
            raise Unverified(f"{what}: {exc}") from None
        if claims.get("iss") not in ISSUERS:
            raise Unverified(f"{what}: issuer {claims.get('iss')!r} is not Google")
        return claims

    def _account(self, token: str, audience: str, account: str, what: str) -> dict[str, Any]:
        if audience and not audience.startswith(("https://", "http://")):
            # A bare path ('/addon/home' when MAP_PUBLIC_URL is unset) would accept a token
            # minted for that path on any host.
            raise Unverified(
                f"{what}: the expected audience {audience!r} is not a URL; "
                "set MAP_PUBLIC_URL to the service's https URL"
            )
        claims = self._claims(token, audience, what)
        if not account:
            raise Unverified(f"{what}: no service account is configured to accept")
        if claims.get("email") != account:
            raise Unverified(f"{what}: signed for {claims.get('email')!r}, not {account!r}")
        if claims.get("email_verified") is not True:
            raise Unverified(f"{what}: email not verified")
        return claims

    def system(self, token: str, audience: str, addon_account: str) -> dict[str, Any]:
        """Google's system ID token on an add-on request."""
        return self._account(token, audience, addon_account, "system ID token")

    def invoker(self, token: str, audience: str, invoker_account: str) -> dict[str, Any]:
        """Cloud Scheduler's or Cloud Tasks' OIDC token."""
        return self._account(token, audience, invoker_account, "OIDC token")

    def user(self, token: str, client_id: str, domains: tuple[str, ...] = ()) -> Rep:
        """The rep's user ID token from the event: a person's (never a service account's),
        and at one of `domains` (the seller's) when they are given."""
        if not token:
            raise Unverified("user ID token: missing from the event")
        claims = self._claims(token, client_id, "user ID token")
        email = str(claims.get("email") or "").lower()
        if not email or claims.get("email_verified") is not True:
            raise Unverified("user ID token: no verified email")
        domain = email.rpartition("@")[2]
        if domain == "gserviceaccount.com" or domain.endswith(".gserviceaccount.com"):
            raise Unverified(f"user ID token: {email} is a service account, not a person")
        if domains and domain not in domains:
            raise Unverified(
                f"user ID token: {email} is not at one of the seller's domains "
                f"(MAP_SELLER_DOMAINS: {', '.join(domains)})"
            )
        return Rep(email, str(claims.get("name") or ""), str(claims.get("sub") or ""))
