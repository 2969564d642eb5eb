"""Google's OAuth 2 authorization server, faked on loopback (Google's documented formats: "Using OAuth
2.0 for Web Server Applications").

- ``GET /o/oauth2/v2/auth``: the consent screen, consented at once: a 302 to ``redirect_uri`` with
  ``code`` and ``state`` (``consent=False``: with ``error=access_denied``). The code challenge is recorded.
- ``POST /token``: ``authorization_code`` checks the client's credentials, the redirect URI, that the
  code is unused and that the PKCE ``code_verifier`` hashes (S256) to the recorded challenge, else
  ``invalid_grant``; it answers access and refresh tokens from the ``TokenBook`` with an ID token (an
  unsigned JWT carrying ``email``). ``refresh_token`` issues a new access token, ``invalid_grant`` once
  revoked.
- ``POST /revoke``: revokes the token given (and the grant behind it).

Settings for the app: ``settings(server)``."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.fakes.base import Answer, Call, FakeServer, TokenBook

AUTH_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"
REVOKE_PATH = "/revoke"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def unsigned_jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'fake'})}.{part(claims)}.{base64.urlsafe_b64encode(b'sig').decode()}"


def oauth_error(error: str, description: str, status: int = 400) -> Answer:
    return Answer(status, {"error": error, "error_description": description})


@dataclass
class Authorization:
    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    scope: str
    used: bool = False


class FakeGoogleOAuth:
    """``options``: ``email`` (the ID token's), ``expires_in``, ``consent`` (False: the person declines),
    ``refresh_delay`` (seconds a refresh takes, to make two concurrent syncs overlap)."""

    def __init__(self, tokens: TokenBook, *, client_id: str, client_secret: str, **options):
        self.tokens = tokens
        self.client_id = client_id
        self.client_secret = client_secret
        self.email = options.get("email", "agency@example.test")
        self.expires_in = options.get("expires_in", 3599)
        self.consent = options.get("consent", True)
        self.refresh_delay = options.get("refresh_delay", 0.0)
        self.codes = {}
        self.refreshes = 0
        self._lock = threading.Lock()

    def settings(self, server: FakeServer) -> dict[str, str]:
        return {
            "POULS_GOOGLE_AUTH_URL": server.base_url + AUTH_PATH,
            "POULS_GOOGLE_TOKEN_URL": server.base_url + TOKEN_PATH,
            "POULS_GOOGLE_REVOKE_URL": server.base_url + REVOKE_PATH,
            "POULS_GOOGLE_CLIENT_ID": self.client_id,
            "POULS_GOOGLE_CLIENT_SECRET": self.client_secret,
        }

    def install(self, server: FakeServer) -> None:
        server.route("GET", AUTH_PATH)(self.authorize)
        server.route("POST", TOKEN_PATH)(self.token)
        server.route("POST", REVOKE_PATH)(self.revoke)

    # --- endpoints ---------------------------------------------------------------------------------

    def authorize(self, call: Call) -> Answer:
        query = {k: v[0] for k, v in call.query.items()}
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return oauth_error("invalid_request", "Unknown client or response type.")
        redirect_uri = query.get("redirect_uri", "")
        if not self.consent:
            location = f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': query.get('state', '')})}"
            return Answer(302, b"", {"Location": location})
        code = "4/fake-code-" + secrets.token_urlsafe(16)
        with self._lock:
            self.codes[code] = Authorization(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                code_challenge=query.get("code_challenge", ""),
                code_challenge_method=query.get("code_challenge_method", ""),
                scope=query.get("scope", ""),
            )
        params = {"code": code, "state": query.get("state", ""), "scope": query.get("scope", "")}
        location = f"{redirect_uri}?{urlencode(params)}"
        return Answer(302, b"", {"Location": location})

    def _client_ok(self, form: dict[str, str], call: Call) -> bool:
        if form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret:
            return True
        basic = call.headers.get("authorization", "")
        if basic.startswith("Basic "):
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return basic.removeprefix("Basic ") == expected
        return False

    def token(self, call: Call) -> Answer:
        form = call.form()
        if not self._client_ok(form, call):
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _code(self, form: dict[str, str]) -> Answer:
        with self._lock:
            authorization = self.codes.get(form.get("code", ""))
            if authorization is None or authorization.used:
                return oauth_error("invalid_grant", "Malformed auth code.")
            authorization.used = True
        if form.get("redirect_uri") != authorization.redirect_uri:
            return oauth_error("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier", "")
        if authorization.code_challenge_method != "S256" or s256(verifier) != authorization.code_challenge:
            return oauth_error("invalid_grant", "Invalid code verifier.")
        access_token, refresh_token = self.tokens.issue()
        return Answer(
            200,
            {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "expires_in": self.expires_in,
                "scope": authorization.scope,
                "token_type": "Bearer",
                "id_token": unsigned_jwt(
                    {
                        "iss": "https://accounts.google.com",
                        "aud": self.client_id,
                        "sub": "1234567890",
                        "email": self.email,
                        "email_verified": True,
                        "iat": int(time.time()),
                        "exp": int(time.time()) + 3600,
                    }
                ),
            },
        )

    def _refresh(self, form: dict[str, str]) -> Answer:
        refresh_token = form.get("refresh_token", "")
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        with self._lock:
            self.refreshes += 1
        if refresh_token not in self.tokens.refresh or refresh_token in self.tokens.revoked:
            return oauth_error("invalid_grant", "Token has been expired or revoked.")
        access_token, _refresh = self.tokens.issue(refresh_token)
        return Answer(
            200,
            {
                "access_token": access_token,
                "expires_in": self.expires_in,
                "scope": "https://www.googleapis.com/auth/analytics.readonly",
                "token_type": "Bearer",
            },
        )

    def revoke(self, call: Call) -> Answer:
        token = call.form().get("token", "")
        with self.tokens._lock:
            known = token in self.tokens.refresh or token in self.tokens.access
            if known:
                self.tokens.revoked.add(token)
                refresh = self.tokens.access.get(token, token)
                self.tokens.revoked.add(refresh)
                self.tokens.revoked.update(a for a, r in self.tokens.access.items() if r == refresh)
        if not known:
            return oauth_error("invalid_token", "Token expired or revoked")
        return Answer(200, {})
