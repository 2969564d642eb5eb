"""The time zones and currencies a client account may take: what the rule of
``tenants.services.client_fields_checked`` accepts, and what the pages offer.

- Time zones: the IANA zones of the tz database Python reads (``zoneinfo``), without "localtime"
  (whatever the server's clock says) and "Factory" (a placeholder of the database, not a place). The
  pages offer the "Area/City" ones and UTC; the old aliases (``GB``, ``US/Eastern``) stay accepted.
- Currencies: ISO 4217 codes in use, as CLDR (through Babel, which formats every amount) lists them:
  the legal tender of some territory with no end date. Historic codes (FRF) and the test and
  precious-metal codes (XTS, XAU) are refused. The list depends on Babel's data, never on today's date.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from functools import lru_cache

from babel.core import get_global
from babel.numbers import get_currency_name, get_territory_currencies

NOT_A_PLACE = frozenset({"localtime", "Factory"})
# Folders of the tz database that hold aliases or POSIX-style rules, not places to offer.
NOT_OFFERED_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
# A day after any end date CLDR records: currencies still valid then have no end date.
NO_END_DATE = date(9999, 12, 31)


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    """Every zone name a client account may take (about 600; read once per process)."""
    return frozenset(zoneinfo.available_timezones() - NOT_A_PLACE)


@lru_cache(maxsize=1)
def offered_time_zones() -> tuple[str, ...]:
    """The zones the pages list: "Area/City" names and UTC, sorted."""
    offered = {name for name in known_time_zones() if "/" in name and not name.startswith(NOT_OFFERED_PREFIXES)} | {
        "UTC"
    }
    return tuple(sorted(offered))


@lru_cache(maxsize=1)
def supported_currencies() -> frozenset[str]:
    """ISO 4217 codes in use today somewhere, per Babel's CLDR data (about 150)."""
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=NO_END_DATE, tender=True))
    return frozenset(codes)


@lru_cache(maxsize=8)
def currency_choices(language: str) -> tuple[tuple[str, str], ...]:
    """(code, "EUR · euro") for every supported currency, named in ``language``, by code."""
    return tuple(
        (code, f"{code} · {get_currency_name(code, locale=language)}") for code in sorted(supported_currencies())
    )
