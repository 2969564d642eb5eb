"""Outgoing HTTP requests (alert webhooks): only to addresses the settings allow, with timeouts.

One rule, ``webhook_url_checked``: http or https, at most 2 000 characters, a host whose every
resolved address is public (not private, loopback, link-local, multicast, reserved or unspecified)
unless ``settings.POULS_WEBHOOK_ALLOW_PRIVATE``. Rule validation calls it when a URL is saved, and
``post_json`` calls it again at send time, since DNS may have changed since.

``post_json`` then connects to the address it checked, not to a second resolution of the name: the
URL's host is replaced by that address, the ``Host`` header and the TLS server name (httpx's
``sni_hostname`` extension, which is also the name the certificate is verified against) keep the
original name. So a name that resolves to a public address at check time and to 127.0.0.1 a moment
later (DNS rebinding) cannot redirect the request. Redirects are never followed (a 3xx is a failure),
timeouts are short (each read, and ``TOTAL_TIMEOUT`` for the whole exchange) and at most
``MAX_RESPONSE_BYTES`` of the answer are read.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_URL_LENGTH = 2000
MAX_RESPONSE_BYTES = 64 * 1024
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
# httpx's timeouts are per operation: a receiver that drips a byte every few seconds would hold the
# worker (and the delivery's row lock) for hours. Past this, the socket is shut down under it.
TOTAL_TIMEOUT = 20.0


@dataclass(frozen=True)
class OutboundResult:
    status: int | None  # the HTTP status, None when no answer came
    error: str  # "" on a 2xx answer

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d),
    6to4 (2002:AABB:CCDD::) or NAT64 (64:ff9b::a.b.c.d). Python calls some of these global, yet a
    host with a 6to4 relay or a NAT64 gateway would reach 127.0.0.1 or 10.x through them."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    packed = int(address)
    if address in NAT64 or address in NAT64_LOCAL or (packed >> 32 == 0 and packed > 1):
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and _refused(embedded):
            return True
        if address in NAT64_LOCAL:
            return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _checked(url: str) -> tuple[object, str]:
    """``(parts, address)``: the URL split and the first resolved address, all addresses checked."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(_("Enter a webhook URL."), code="invalid")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(
            _("A webhook URL has at most %(max)d characters.") % {"max": MAX_URL_LENGTH}, code="max_length"
        )
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(_("Enter a valid webhook URL."), code="invalid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("A webhook URL starts with http:// or https:// and names a host."), code="invalid")
    if parts.username or parts.password:
        raise ValidationError(_("A webhook URL may not carry a user name or password."), code="invalid")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationError(_("The webhook's host name cannot be resolved."), code="unresolved") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise ValidationError(_("The webhook's host name cannot be resolved."), code="unresolved")
    if not settings.POULS_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if _refused(ipaddress.ip_address(address.split("%", 1)[0])):
                raise ValidationError(
                    _("Webhooks may not be sent to private, loopback or reserved addresses."), code="private"
                )
    return parts, addresses[0]


def _cut(sockets: list) -> None:
    for raw in sockets:
        with contextlib.suppress(OSError):  # closed already
            raw.shutdown(socket.SHUT_RDWR)


def webhook_url_checked(url: str) -> str:
    """``url`` (stripped) when a webhook may be sent there; else a ``ValidationError``."""
    _checked(url)
    return url.strip()


def post_json(url: str, body: bytes, headers: dict, timeout: float = READ_TIMEOUT) -> OutboundResult:
    """POST ``body`` (JSON bytes) to ``url`` after checking it again; never raises for the network."""
    try:
        parts, address = _checked(url)
    except ValidationError as error:
        return OutboundResult(status=None, error=" ".join(str(m) for m in error.messages))
    host = parts.hostname
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    named = f"[{host}]" if ":" in host else host
    host_header = f"{named}:{parts.port}" if parts.port else named
    send_headers = {**headers, "Host": host_header, "Content-Type": "application/json"}
    sockets: list[socket.socket] = []

    def trace(event: str, info: dict) -> None:  # keeps the connection's socket, to cut it at the deadline
        if event == "connection.connect_tcp.complete" and info.get("return_value") is not None:
            raw = info["return_value"].get_extra_info("socket")
            if raw is not None:
                sockets.append(raw)

    cut = threading.Event()

    def cut_at_deadline() -> None:
        # Set before the sockets close: the error the cut raises is then known for what it is, however
        # late the timer's thread finishes (asking whether it is still alive raced with it).
        cut.set()
        _cut(sockets)

    deadline = threading.Timer(min(TOTAL_TIMEOUT, timeout * 2), cut_at_deadline)
    deadline.daemon = True
    deadline.start()
    try:
        with httpx.Client(
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT), follow_redirects=False, trust_env=False
        ) as client:
            request = client.build_request(
                "POST", pinned, content=body, headers=send_headers, extensions={"sni_hostname": host, "trace": trace}
            )
            response = client.send(request, stream=True)
            try:
                read = 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES:
                        break
            finally:
                response.close()
    except httpx.HTTPError as error:
        if cut.is_set():
            return OutboundResult(status=None, error="The receiver took too long to answer.")
        return OutboundResult(status=None, error=f"{type(error).__name__}: {error}"[:500])
    finally:
        deadline.cancel()
    if 200 <= response.status_code < 300:
        return OutboundResult(status=response.status_code, error="")
    return OutboundResult(status=response.status_code, error=f"HTTP {response.status_code}")
