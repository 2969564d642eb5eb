"""Talking to Google's and Meta's authorization servers (docs/connectors.md, "Connecting"): the consent
URL, the code exchanged for tokens, a Google refresh, Meta's long-lived token exchange, the revocation.
OAuth 2 is Authlib's (``OAuth2Client`` on httpx); Meta's token exchange and revocation are not OAuth
grants, they are plain Graph calls.

Also the pending authorization kept in the Django session between ``start`` and ``callback``: a random
``state`` with its PKCE ``code_verifier``, the agency and the platform; single use, valid 10 minutes.

Every call goes to a configured URL only (``connectors.http.allowed_url``), with the connectors' timeout;
what the platform answers is classified as ``GrantRefused`` (it says no: 400/401, ``invalid_grant``) or
``Transient`` (429, 5xx, no answer). Nothing here reads or writes the database."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.errors import ConnectorError, GrantRefused, NotConfigured, Transient
from connectors.http import allowed_url, platform_message
from connectors.models import Provider

GOOGLE_SCOPES = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/analytics.readonly",
    "https://www.googleapis.com/auth/webmasters.readonly",
    "https://www.googleapis.com/auth/adwords",
)
META_SCOPES = ("ads_read",)
# The settings each platform needs, in the order the connect screen lists them.
CREDENTIAL_SETTINGS = {
    Provider.GOOGLE: ("POULS_GOOGLE_CLIENT_ID", "POULS_GOOGLE_CLIENT_SECRET"),
    Provider.META: ("POULS_META_APP_ID", "POULS_META_APP_SECRET"),
}
# Google Ads also needs a developer token; the other Google sources work without it.
GOOGLE_ADS_SETTING = "POULS_GOOGLE_ADS_DEVELOPER_TOKEN"

PENDING_KEY = "connectors.oauth.pending"
PENDING_LIFETIME = timedelta(minutes=10)
MAX_PENDING = 5  # authorizations started in other tabs; older ones are dropped


@dataclass(frozen=True)
class Grant:
    """What the authorization server gave: tokens in clear (encrypted by the service that stores them)."""

    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    scopes: str = ""
    account_label: str = ""


# --- configuration ---------------------------------------------------------------------------------


def missing_settings(provider: str) -> list[str]:
    """The app credentials of ``provider`` that are not set (empty: it can be connected)."""
    return [name for name in CREDENTIAL_SETTINGS[Provider(provider)] if not getattr(settings, name)]


def require_configured(provider: str) -> None:
    missing = missing_settings(provider)
    if missing:
        raise NotConfigured(
            _("This platform's app credentials are not configured: set %(names)s.") % {"names": ", ".join(missing)}
        )


def redirect_uri(provider: str) -> str:
    """The callback to register with the platform's app (an exact match is required by both)."""
    return f"{settings.POULS_PUBLIC_URL}/connections/{Provider(provider).value}/callback/"


def _client_credentials(provider: str) -> tuple[str, str]:
    require_configured(provider)
    if provider == Provider.GOOGLE:
        return settings.POULS_GOOGLE_CLIENT_ID, settings.POULS_GOOGLE_CLIENT_SECRET
    return settings.POULS_META_APP_ID, settings.POULS_META_APP_SECRET


def _checked(url: str) -> str:
    if not allowed_url(url):
        raise ConnectorError(_("Refused to call %(url)s: not under a configured platform URL.") % {"url": url[:200]})
    return url


# --- answers ---------------------------------------------------------------------------------------


def _classify(response: httpx.Response) -> httpx.Response:
    """Authlib's response hook: a refusal or an outage becomes ours before Authlib parses the body."""
    if response.status_code == 429 or response.status_code >= 500:
        response.read()
        raise Transient(
            _("The platform is unavailable (%(status)s): %(reason)s")
            % {"status": response.status_code, "reason": platform_message(response)},
            status=response.status_code,
        )
    if response.status_code >= 400:
        response.read()
        raise GrantRefused(
            _("The platform refused the authorization: %(reason)s") % {"reason": platform_message(response)},
            status=response.status_code,
        )
    return response


def _oauth_client(provider: str, **kwargs) -> OAuth2Client:
    client_id, client_secret = _client_credentials(provider)
    client = OAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        # Both platforms read the credentials from the form body.
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name, not a secret)
        revocation_endpoint_auth_method="client_secret_post",
        redirect_uri=redirect_uri(provider),
        code_challenge_method="S256",
        timeout=settings.POULS_CONNECTOR_TIMEOUT_SECONDS,
        follow_redirects=False,
        **kwargs,
    )
    client.register_compliance_hook("access_token_response", _classify)
    client.register_compliance_hook("refresh_token_response", _classify)
    return client


def _plain_client() -> httpx.Client:
    return httpx.Client(timeout=settings.POULS_CONNECTOR_TIMEOUT_SECONDS, follow_redirects=False)


def _expires_at(token: dict) -> datetime | None:
    try:
        seconds = int(token.get("expires_in"))
    except (TypeError, ValueError):
        return None  # Meta's tokens of some apps never expire: no date
    return timezone.now() + timedelta(seconds=seconds)


def _token_call(call):
    """Run one token request, turning transport failures and OAuth error bodies into our errors."""
    try:
        return call()
    except httpx.TransportError as exc:
        raise Transient(
            _("The platform is unavailable (%(status)s): %(reason)s")
            % {"status": _("no answer"), "reason": str(exc) or exc.__class__.__name__}
        ) from exc
    except OAuthError as exc:  # a 200 whose body is an OAuth error
        raise GrantRefused(
            _("The platform refused the authorization: %(reason)s")
            % {"reason": str(exc.description or exc.error)[:300]}
        ) from exc
    except (ValueError, KeyError) as exc:  # not a token answer at all
        raise Transient(_("The platform's answer is not JSON.")) from exc


def _json_or_raise(response: httpx.Response) -> dict:
    _classify(response)
    try:
        body = response.json()
    except ValueError as exc:
        raise Transient(_("The platform's answer is not JSON.")) from exc
    if not isinstance(body, dict):
        raise Transient(_("The platform's answer is not JSON."))
    if "error" in body:
        raise GrantRefused(
            _("The platform refused the authorization: %(reason)s") % {"reason": platform_message(response)}
        )
    return body


# --- the pending authorization (Django session) ----------------------------------------------------


@dataclass(frozen=True)
class Pending:
    provider: str
    agency_id: int
    code_verifier: str


def pending_start(session, *, provider: str, agency_id: int) -> tuple[str, str]:
    """A new state and code verifier for ``provider`` and the agency, kept in ``session``."""
    state = generate_token(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]: RFC 7636 allows 43-128
    now = timezone.now().timestamp()
    pending = {
        s: p for s, p in session.get(PENDING_KEY, {}).items() if now - p["at"] < PENDING_LIFETIME.total_seconds()
    }
    pending[state] = {"provider": Provider(provider).value, "agency": agency_id, "verifier": verifier, "at": now}
    session[PENDING_KEY] = dict(sorted(pending.items(), key=lambda item: item[1]["at"])[-MAX_PENDING:])
    return state, verifier


def pending_take(session, *, provider: str, state: str | None) -> Pending | None:
    """The authorization ``state`` names, removed from ``session`` (single use); None when it is missing,
    unknown (forged, already used), of another platform or older than 10 minutes."""
    pending = dict(session.get(PENDING_KEY, {}))
    entry = pending.pop(state, None) if isinstance(state, str) and state else None
    if entry is not None:
        session[PENDING_KEY] = pending
    if entry is None or entry["provider"] != provider:
        return None
    if timezone.now().timestamp() - entry["at"] >= PENDING_LIFETIME.total_seconds():
        return None
    return Pending(entry["provider"], entry["agency"], entry["verifier"])


# --- the consent screen and the code ---------------------------------------------------------------


def authorization_url(provider: str, *, state: str, code_verifier: str) -> str:
    """Where to send the person's browser: the platform's consent screen, with PKCE (S256)."""
    if provider == Provider.GOOGLE:
        with _oauth_client(provider, scope=" ".join(GOOGLE_SCOPES)) as client:
            url, _state = client.create_authorization_url(
                settings.POULS_GOOGLE_AUTH_URL,
                state=state,
                code_verifier=code_verifier,
                # A refresh token (offline), and again on a reconnection (Google gives one only on consent).
                access_type="offline",
                prompt="consent",
                include_granted_scopes="true",
            )
        return url
    # Meta's manual login flow takes code_challenge/code_challenge_method ("OIDC Code Flow with PKCE for
    # Manually Built Facebook Login Flows", marked "in testing" by Meta) and checks code_verifier at the
    # code exchange; the app secret is sent too, so the flow stays safe if Meta ignored PKCE.
    with _oauth_client(provider, scope=",".join(META_SCOPES)) as client:
        url, _state = client.create_authorization_url(
            settings.POULS_META_AUTH_URL, state=state, code_verifier=code_verifier
        )
    return url


def _google_email(id_token: str) -> str:
    """The ``email`` claim of the ID token. Its signature is not checked: the token came straight from
    Google's token endpoint over TLS, which OpenID Connect Core §3.1.3.7 accepts in place of the signature;
    it only labels the connection."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return ""
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) else ""


def exchange_code(provider: str, *, code: str, code_verifier: str) -> Grant:
    """The tokens for the authorization ``code`` (Meta: already exchanged for a long-lived token)."""
    if provider == Provider.GOOGLE:
        url = _checked(settings.POULS_GOOGLE_TOKEN_URL)
        with _oauth_client(provider) as client:
            token = _token_call(
                lambda: client.fetch_token(url, grant_type="authorization_code", code=code, code_verifier=code_verifier)
            )
        return Grant(
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token", ""),
            expires_at=_expires_at(token),
            scopes=token.get("scope", ""),
            account_label=_google_email(token.get("id_token", "")),
        )
    url = _checked(f"{settings.POULS_META_GRAPH_URL}/oauth/access_token")
    client_id, client_secret = _client_credentials(provider)
    with _oauth_client(provider) as client:
        # Meta documents a GET with the parameters in the query; the credentials go there too.
        token = _token_call(
            lambda: client.fetch_token(
                url,
                method="GET",
                auth=lambda request: request,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                client_id=client_id,
                client_secret=client_secret,
            )
        )
    long_lived = meta_long_lived(token["access_token"])
    return Grant(
        access_token=long_lived.access_token,
        expires_at=long_lived.expires_at,
        scopes=",".join(META_SCOPES),
        account_label=meta_account_name(long_lived.access_token),
    )


# --- keeping the grant alive -----------------------------------------------------------------------


def google_refresh(refresh_token: str) -> Grant:
    """A new access token from Google's refresh token (the refresh token stays the same unless Google
    sends a new one)."""
    url = _checked(settings.POULS_GOOGLE_TOKEN_URL)
    with _oauth_client(Provider.GOOGLE) as client:
        token = _token_call(lambda: client.refresh_token(url, refresh_token=refresh_token))
    return Grant(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token") or refresh_token,
        expires_at=_expires_at(token),
        scopes=token.get("scope", ""),
    )


def meta_long_lived(access_token: str) -> Grant:
    """Meta has no refresh token: a user token is exchanged for a long-lived one (about 60 days), and a
    long-lived one for a new one before it expires (``grant_type=fb_exchange_token``). An expired or
    revoked token is refused (OAuthException 190)."""
    client_id, client_secret = _client_credentials(Provider.META)
    query = urlencode(
        {
            "grant_type": "fb_exchange_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "fb_exchange_token": access_token,
        }
    )
    url = _checked(f"{settings.POULS_META_GRAPH_URL}/oauth/access_token")
    with _plain_client() as client:
        body = _json_or_raise(_token_call(lambda: client.get(f"{url}?{query}")))
    if not isinstance(body.get("access_token"), str):
        raise Transient(_("The platform's answer is not JSON."))
    return Grant(access_token=body["access_token"], expires_at=_expires_at(body), scopes=",".join(META_SCOPES))


def meta_account_name(access_token: str) -> str:
    """The Meta user's name, to label the connection ("" when Meta does not say)."""
    url = _checked(f"{settings.POULS_META_GRAPH_URL}/me")
    with _plain_client() as client:
        try:
            response = client.get(url, params={"fields": "name"}, headers={"Authorization": f"Bearer {access_token}"})
            name = response.json().get("name") if response.status_code == 200 else None
        except (httpx.TransportError, ValueError, AttributeError):
            name = None
    return name if isinstance(name, str) else ""


def revoke(provider: str, *, access_token: str, refresh_token: str) -> None:
    """Withdraw the grant at the platform (Google: the refresh token, which revokes its access tokens too;
    Meta: every permission the user gave the app). Raises ``ConnectorError`` when it fails."""
    try:
        if provider == Provider.GOOGLE:
            url = _checked(settings.POULS_GOOGLE_REVOKE_URL)
            with _oauth_client(provider) as client:
                response = client.revoke_token(
                    url, token=refresh_token or access_token, token_type_hint="refresh_token" if refresh_token else None
                )
        else:
            url = _checked(f"{settings.POULS_META_GRAPH_URL}/me/permissions")
            _client_credentials(provider)
            with _plain_client() as client:
                response = client.delete(url, headers={"Authorization": f"Bearer {access_token}"})
    except httpx.TransportError as exc:
        raise Transient(
            _("The platform is unavailable (%(status)s): %(reason)s")
            % {"status": _("no answer"), "reason": str(exc) or exc.__class__.__name__}
        ) from exc
    _classify(response)
