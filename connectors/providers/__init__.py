"""One module per platform, each turning the platform's reports into Pouls' rows (docs/connectors.md).

Every provider module exposes:

- ``KIND``: its ``SourceKind``;
- ``accounts(session, connection) -> list[Account]``: what the grant can read (the per-client choice);
- ``rows(session, source, start, end) -> Iterator[TrafficRow | KeywordRow | SpendRow]``: the daily facts
  of ``source`` from ``start`` to ``end`` (client-local dates, both included), every page read;
- ``currency(session, source) -> str``: the account's ISO 4217 currency ("" where money is not reported).

``provider_for(kind)`` returns the module; the import is deferred so a provider's dependencies load only
when it runs."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

MODULES = {
    "ga4": "connectors.providers.ga4",
    "search_console": "connectors.providers.search_console",
    "google_ads": "connectors.providers.google_ads",
    "meta_ads": "connectors.providers.meta_ads",
}


def provider_for(kind: str) -> ModuleType:
    return import_module(MODULES[kind])
