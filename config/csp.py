"""A strict Content-Security-Policy on every page of the product: scripts, styles, images and
fetches from our own origin only, no inline script or style, no framing. Pouls serves everything
itself (Chart.js included), so nothing legitimate is refused.

The Django admin and the Swagger UI ship inline scripts that are not ours to change: their pages
get no policy header (they are staff and API tools, not the product's pages)."""

from __future__ import annotations

import re

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
EXEMPT = re.compile(r"^(/c/[^/]+)?/(admin|api/v1/docs)/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        is_html = response.get("Content-Type", "").startswith("text/html")
        if is_html and "Content-Security-Policy" not in response and not EXEMPT.match(request.path):
            response["Content-Security-Policy"] = POLICY
        return response
