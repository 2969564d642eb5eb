"""Fake platform servers on loopback: a tiny HTTP server whose routes a provider's fake fills in, and
the tokens the fake authorization server issued, shared by every fake API (as Google's and Meta's
APIs accept the tokens their own authorization servers issue).

A test starts them in its own process; a Celery worker reaches them over 127.0.0.1 through the
``POULS_*_URL`` settings (``FakePlatforms.env()``), so the real sync code runs end to end."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    """One request a fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Answer:
    status: int = 200
    body: object = None  # JSON-serialisable, or bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class TokenBook:
    """Access and refresh tokens the fake authorization server issued: which are valid, which expired."""

    access: dict[str, str] = field(default_factory=dict)  # access token -> refresh token it came from
    refresh: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, refresh_token: str | None = None) -> tuple[str, str]:
        with self._lock:
            refresh_token = refresh_token or "1//fake-refresh-" + secrets.token_urlsafe(16)
            access_token = "ya29.fake-" + secrets.token_urlsafe(24)
            self.access[access_token] = refresh_token
            self.refresh.add(refresh_token)
            return access_token, refresh_token

    def valid(self, access_token: str) -> bool:
        with self._lock:
            refresh_token = self.access.get(access_token)
            return (
                refresh_token is not None
                and access_token not in self.expired
                and access_token not in self.revoked
                and refresh_token not in self.revoked
            )

    def expire_all(self) -> None:
        """Every access token issued so far is now expired (the refresh tokens still work)."""
        with self._lock:
            self.expired.update(self.access)

    def revoke_all(self) -> None:
        """Every token issued so far is revoked (the grant is gone: refreshing fails too)."""
        with self._lock:
            self.revoked.update(self.access)
            self.revoked.update(self.refresh)

    def bearer_valid(self, call: Call) -> bool:
        header = call.headers.get("authorization", "")
        return header.startswith("Bearer ") and self.valid(header.removeprefix("Bearer "))


Route = Callable[[Call], Answer]


@dataclass
class FakeServer:
    """Routes: (METHOD, path prefix) -> handler; the longest matching prefix answers. ``calls`` records
    every request; ``queue(path, answers)`` makes the next requests to a path answer those first (a
    429, a 500), whatever the route would say."""

    base_url: str = ""
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    queued: dict[str, list[Answer]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, prefix: str) -> Callable[[Route], Route]:
        def register(handler: Route) -> Route:
            self.routes[(method, prefix)] = handler
            return handler

        return register

    def queue(self, prefix: str, answers: list[Answer]) -> None:
        with self._lock:
            self.queued.setdefault(prefix, []).extend(answers)

    def calls_to(self, prefix: str) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(prefix)]

    def answer(self, call: Call) -> Answer:
        with self._lock:
            self.calls.append(call)
            for prefix, answers in self.queued.items():
                if call.path.startswith(prefix) and answers:
                    return answers.pop(0)
        matches = [(p, h) for (m, p), h in self.routes.items() if m == call.method and call.path.startswith(p)]
        if not matches:
            return Answer(404, {"error": {"code": 404, "message": f"No route for {call.method} {call.path}"}})
        return max(matches, key=lambda m: len(m[0]))[1](call)


@contextmanager
def serving(server: FakeServer):
    """``server`` listening on 127.0.0.1 (its ``base_url`` set) for the block's duration."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            call = Call(
                self.command,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            try:
                answer = server.answer(call)
            except Exception as exc:  # a broken fake must show as an answer, not hang the client
                answer = Answer(500, {"error": {"code": 500, "message": f"fake server error: {exc!r}"}})
            data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
