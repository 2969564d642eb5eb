"""Real receivers on loopback for what Pouls sends out: an SMTP server (aiosmtpd) that keeps every
message it accepts, and an HTTP server that keeps every request (webhooks) and answers with the
status codes a test lines up. Worker processes reach them through their addresses (``EMAIL_URL``,
a webhook URL), exactly as they would reach a real mail relay or Slack."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.processes import free_port


@dataclass
class SmtpInbox:
    """Messages the loopback SMTP server accepted, in arrival order."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """What ``EMAIL_URL`` must say for a process to send here."""
        return f"smtp://{self.host}:{self.port}"

    def settings(self) -> dict:
        """Django settings that make this process send here (``override_settings(**inbox.settings())``)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in (m.get("To") or "").lower()]


class _Keeper:
    def __init__(self, inbox: SmtpInbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.inbox.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.inbox.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_inbox() -> Iterator[SmtpInbox]:
    """A real SMTP server on 127.0.0.1 for the duration of the block."""
    inbox = SmtpInbox(host="127.0.0.1", port=free_port())
    controller = Controller(_Keeper(inbox), hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Requests the loopback HTTP server received; ``statuses`` are the codes it answers with, in
    order (the last one repeats), so a test can make the first attempts fail."""

    base_url: str
    requests: list[ReceivedRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@contextmanager
def http_receiver(statuses: list[int] | None = None) -> Iterator[HttpReceiver]:
    """A real HTTP server on 127.0.0.1 that records every request (a webhook's target)."""
    holder: dict[str, HttpReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def _record(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            receiver = holder["receiver"]
            receiver.requests.append(
                ReceivedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = _record
        do_GET = _record

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = HttpReceiver(base_url=f"http://127.0.0.1:{server.server_address[1]}", statuses=statuses or [200])
    holder["receiver"] = receiver
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
