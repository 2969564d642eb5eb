"""Which landing page a page's URL belongs to: the one rule of the tracking endpoint and its rollup
(``campaigns.tracking``, ``campaigns.tracking_rollup``) and of the capture endpoint (``leads.capture``),
so that a visit and the lead it brings count on the same landing page.

A URL belongs to the landing page whose own URL has the same path, compared decoded, lower-cased and
without a trailing slash (``/`` for the home page). The scheme, the host, the query string and the
fragment do not count: the tracking snippet stores only the path, and the UTM parameters of a campaign
link must not hide its page. When several landing pages have the same path, the oldest one (the
smallest id) takes it. Only an absolute http(s) URL belongs to a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from campaigns.models import LandingPage, TrackingEvent

MAX_PATH = TrackingEvent._meta.get_field("path").max_length


def page_path(url: str) -> str | None:
    """The path ``url`` is matched by, or None when it is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    # What PostgreSQL cannot store (NUL, lone surrogates) becomes "?".
    path = unquote(parts.path).replace("\0", "?").encode("utf-8", "replace").decode("utf-8")
    return (path.lower().rstrip("/") or "/")[:MAX_PATH]


def _oldest_by_path(pages: Iterable[tuple[int, str, object]]) -> dict[str, object]:
    """``(id, url, value)`` rows in id order → each path to the value of the oldest page with it."""
    found: dict[str, object] = {}
    for _pk, url, value in pages:
        path = page_path(url)
        if path is not None:
            found.setdefault(path, value)
    return found


def landing_page_ids_by_path() -> dict[str, int]:
    """Every path that belongs to a landing page, to that page's id (one query)."""
    rows = LandingPage.objects.exclude(url="").order_by("pk").values_list("pk", "url")
    return _oldest_by_path((pk, url, pk) for pk, url in rows)


def landing_page_for_url(*urls: str) -> LandingPage | None:
    """The landing page of the first of ``urls`` that belongs to one, or None (one query, none when no
    URL is absolute)."""
    paths = [path for path in map(page_path, urls) if path is not None]
    if not paths:
        return None
    pages = _oldest_by_path((page.pk, page.url, page) for page in LandingPage.objects.exclude(url="").order_by("pk"))
    return next((pages[path] for path in paths if path in pages), None)
