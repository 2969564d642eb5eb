"""The caller's address, the one home for rate limits, throttles and login lockouts (django-axes calls
:func:`client_ip` through ``AXES_CLIENT_IP_CALLABLE``; DRF throttles through ``config.throttling``).

``REMOTE_ADDR`` unless ``POULS_TRUSTED_PROXY_COUNT`` proxies of ours sit in front of Pouls. Each of them
appends the address it received the request from to X-Forwarded-For, so the visitor is the entry our
outermost proxy wrote: the N-th from the right. Entries further left are whatever the caller sent, and
are never read: rotating a forged X-Forwarded-For changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str:
    trusted = settings.POULS_TRUSTED_PROXY_COUNT
    if trusted > 0:
        # ipware counts the proxies listed in the header; the last of ours is REMOTE_ADDR, not listed.
        # Not strict: a caller may have sent entries of their own on the left, which we skip.
        address, _routable = get_client_ip(
            request, proxy_count=trusted - 1, request_header_order=("HTTP_X_FORWARDED_FOR",), strict=False
        )
        if address:
            return address
    address, _routable = get_client_ip(request, request_header_order=("REMOTE_ADDR",))
    return address or request.META.get("REMOTE_ADDR", "")
