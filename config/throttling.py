"""Throttles that hold across processes. Their counts live in the ``throttle`` cache (``CACHE_URL`` when
set, otherwise a table in the public schema), keyed on the caller's address as ``config.client_address``
finds it: not on a forgeable X-Forwarded-For.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import BaseCache, caches
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from config.client_address import client_ip

THROTTLE_CACHE = "throttle"


def throttle_cache() -> BaseCache:
    return caches[THROTTLE_CACHE]


class AddressRateThrottle(SimpleRateThrottle):
    """DRF's rate throttle per caller address, for everyone (signed in or not), counted in the shared
    cache. Subclasses set ``scope`` and ``rate``."""

    @property
    def cache(self) -> BaseCache:  # DRF reads ``self.cache``; per-process memory by default
        return throttle_cache()

    def get_ident(self, request) -> str:
        return client_ip(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@dataclass(frozen=True)
class FailureLimit:
    """At most ``limit`` failures per caller in each fixed ``window``; past that, the caller waits
    for the window's end. Only failures are counted (call :meth:`record`), so a caller who gets it
    right never notices the limit."""

    scope: str
    limit: int
    window: timedelta

    def _key(self, ident: str) -> tuple[str, int]:
        seconds = int(self.window.total_seconds())
        now = timezone.now().timestamp()
        start = int(now // seconds) * seconds
        return f"failures:{self.scope}:{ident}:{start}", max(1, math.ceil(start + seconds - now))

    def retry_after(self, ident: str) -> int | None:
        """Seconds until ``ident`` may try again, or ``None`` while it is under the limit."""
        key, remaining = self._key(ident)
        return remaining if (throttle_cache().get(key) or 0) >= self.limit else None

    def record(self, ident: str) -> None:
        # get + set rather than incr: Django's generic incr would reset the entry to the default timeout.
        # Two processes racing may count one failure instead of two, never more.
        key, remaining = self._key(ident)
        cache = throttle_cache()
        cache.set(key, (cache.get(key) or 0) + 1, timeout=remaining + 1)


@dataclass(frozen=True)
class Quota(FailureLimit):
    """At most ``limit`` actions per caller in each fixed ``window``, every action counted (a sign-up,
    a mail sent), unlike :class:`FailureLimit` which counts only failures."""

    def take(self, ident: str) -> int | None:
        """Count one action of ``ident`` and return ``None``, or, past the limit, count nothing and
        return the seconds until the window ends."""
        retry_after = self.retry_after(ident)
        if retry_after is None:
            self.record(ident)
        return retry_after
