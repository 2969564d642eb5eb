"""Meta's login and token endpoints, faked on loopback in the Graph API's formats ("Manually Build a
Login Flow", "OIDC Code Flow with PKCE", "Long-Lived Access Tokens"). Installed on the same
``FakeServer`` as the Graph API fake, under the version prefix the settings use (``/v23.0``):

- ``GET /v23.0/dialog/oauth``: the login dialog, consented at once: a 302 to ``redirect_uri`` with
  ``code`` and ``state`` (``consent=False``: ``error=access_denied``); the code challenge is recorded.
- ``GET /v23.0/oauth/access_token``: with ``code``, checks the app id and secret, the redirect URI, that
  the code is unused and the PKCE ``code_verifier`` (S256), and answers a short-lived user token; with
  ``grant_type=fb_exchange_token``, a valid token is exchanged for a long-lived one (about 60 days), an
  expired or revoked one refused (OAuthException 190).
- ``GET /v23.0/me?fields=name``: the user's name.
- ``DELETE /v23.0/me/permissions``: the app's permissions withdrawn (every token of the grant revoked).

Errors: ``{"error": {"message", "type": "OAuthException", "code", "fbtrace_id"}}``. Tokens live in the
shared ``TokenBook``: one "refresh" entry stands for the user's grant, so ``revoke_all`` revokes it."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.fakes.base import Answer, Call, FakeServer, TokenBook
from tests.fakes.google_oauth import s256

VERSION = "/v23.0"
DIALOG_PATH = f"{VERSION}/dialog/oauth"
TOKEN_PATH = f"{VERSION}/oauth/access_token"
ME_PATH = f"{VERSION}/me"
PERMISSIONS_PATH = f"{VERSION}/me/permissions"
LONG_LIVED_SECONDS = 60 * 24 * 3600


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None) -> Answer:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A" + secrets.token_hex(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error})


@dataclass
class DialogGrant:
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    used: bool = False


class FakeMetaOAuth:
    """``options``: ``name`` (the user's), ``consent`` (False: the person declines), ``exchange_delay``
    (seconds an exchange takes, to make two concurrent syncs overlap)."""

    def __init__(self, tokens: TokenBook, *, client_id: str, client_secret: str, **options):
        self.tokens = tokens
        self.client_id = client_id
        self.client_secret = client_secret
        self.name = options.get("name", "Agence Meta")
        self.consent = options.get("consent", True)
        self.exchange_delay = options.get("exchange_delay", 0.0)
        self.codes: dict[str, DialogGrant] = {}
        self.exchanges = 0
        self._lock = threading.Lock()

    def settings(self, server: FakeServer) -> dict[str, str]:
        return {
            "POULS_META_AUTH_URL": server.base_url + DIALOG_PATH,
            "POULS_META_GRAPH_URL": server.base_url + VERSION,
            "POULS_META_APP_ID": self.client_id,
            "POULS_META_APP_SECRET": self.client_secret,
        }

    def install(self, server: FakeServer) -> None:
        server.route("GET", DIALOG_PATH)(self.dialog)
        server.route("GET", TOKEN_PATH)(self.access_token)
        server.route("GET", ME_PATH)(self.me)
        server.route("DELETE", PERMISSIONS_PATH)(self.permissions_delete)

    # --- endpoints ---------------------------------------------------------------------------------

    def dialog(self, call: Call) -> Answer:
        query = {k: v[0] for k, v in call.query.items()}
        if query.get("client_id") != self.client_id:
            return graph_error("Invalid App ID", 101)
        redirect_uri = query.get("redirect_uri", "")
        if not self.consent:
            params = {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": "Permissions error",
                "state": query.get("state", ""),
            }
            return Answer(302, b"", {"Location": f"{redirect_uri}?{urlencode(params)}"})
        code = "AQ-fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = DialogGrant(
                redirect_uri, query.get("code_challenge", ""), query.get("code_challenge_method", "")
            )
        location = f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}#_=_"
        return Answer(302, b"", {"Location": location})

    def access_token(self, call: Call) -> Answer:
        query = {k: v[0] for k, v in call.query.items()}
        if query.get("client_id") != self.client_id or query.get("client_secret") != self.client_secret:
            return graph_error("Error validating client secret.", 1)
        if query.get("grant_type") == "fb_exchange_token":
            return self._exchange(query.get("fb_exchange_token", ""))
        return self._code(query)

    def _code(self, query: dict[str, str]) -> Answer:
        with self._lock:
            grant = self.codes.get(query.get("code", ""))
            if grant is None or grant.used:
                return graph_error("This authorization code has been used.", 100, subcode=36009)
            grant.used = True
        if query.get("redirect_uri") != grant.redirect_uri:
            return graph_error(
                "Error validating verification code. Please make sure your redirect_uri is identical.", 100
            )
        if grant.code_challenge_method != "S256" or s256(query.get("code_verifier", "")) != grant.code_challenge:
            return graph_error("Invalid code verifier.", 100)
        access_token, _grant = self.tokens.issue()
        return Answer(200, {"access_token": access_token, "token_type": "bearer", "expires_in": 5183})

    def _exchange(self, token: str) -> Answer:
        if self.exchange_delay:
            time.sleep(self.exchange_delay)
        with self._lock:
            self.exchanges += 1
        if not self.tokens.valid(token):
            return graph_error(
                "Error validating access token: Session has expired or the user has changed the password.",
                190,
                subcode=463,
            )
        with self.tokens._lock:
            grant = self.tokens.access[token]
        access_token, _grant = self.tokens.issue(grant)
        return Answer(200, {"access_token": access_token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})

    def me(self, call: Call) -> Answer:
        if not self.tokens.bearer_valid(call):
            return graph_error("Error validating access token.", 190, status=400)
        return Answer(200, {"name": self.name, "id": "10001"})

    def permissions_delete(self, call: Call) -> Answer:
        if not self.tokens.bearer_valid(call):
            return graph_error("Error validating access token.", 190, status=400)
        token = call.headers["authorization"].removeprefix("Bearer ")
        with self.tokens._lock:
            grant = self.tokens.access[token]
            self.tokens.revoked.add(grant)
            self.tokens.revoked.update(a for a, g in self.tokens.access.items() if g == grant)
        return Answer(200, {"success": True})
