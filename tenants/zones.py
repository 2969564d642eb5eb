"""A client's time zone: the one place that turns ``Client.time_zone`` into a ``ZoneInfo``.

Policy (one for every caller): a zone name that is not a known IANA zone — the services refuse one
(``client_fields_checked``), but a row edited in SQL or a zone removed from the tz database can still
hold one — falls back to UTC (``settings.TIME_ZONE``, what the pages already showed for it) with a
warning in the log, instead of failing every page, refresh and import of that client.
"""

from __future__ import annotations

import logging
import zoneinfo

logger = logging.getLogger(__name__)

FALLBACK_ZONE = "UTC"


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The ``ZoneInfo`` called ``name``; UTC (logged) when the name is empty or unknown."""
    try:
        if name:
            return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    logger.warning("Unknown time zone %r: using %s.", name, FALLBACK_ZONE)
    return zoneinfo.ZoneInfo(FALLBACK_ZONE)


def client_zone(client) -> zoneinfo.ZoneInfo:
    """``client``'s time zone (a ``Client``, or any object with ``time_zone``), per the policy above."""
    return zone_named(getattr(client, "time_zone", None))
