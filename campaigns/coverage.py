"""Which daily facts count where a connector covers them (docs/connectors.md, "No double counting").

A connector answers for whole facts over a span of days (``FactCoverage``): GA4 for all traffic,
Search Console for all keywords, an ad platform for the spend of every Pouls campaign one of its
platform campaigns maps to. Inside that span its rows count and the imported and tracked rows of the
same facts are kept (nothing is lost; they count again if the connector is removed with its data)
but left out; outside it, everything counts as before. One rule, in SQL, for every reader: the KPI
measures (kpis.measures) and the import preview's warning (``covered_import_rows``)."""

from __future__ import annotations

from datetime import date

from django.db import connection

from campaigns.models import CONNECTOR_SOURCES, FactCoverage, PlatformCampaign

_CONNECTORS = ", ".join(f"'{s.value}'" for s in CONNECTOR_SOURCES)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _covered(fact: str, alias: str) -> str:
    """SQL true when the fact row ``alias`` (date, campaign_id for spend) lies in a connector's span."""
    coverage = f"SELECT 1 FROM {_table(FactCoverage)} cov"  # noqa: S608 (the code's own identifiers only)
    span = f"{alias}.date BETWEEN cov.first_day AND cov.last_day"
    if fact == FactCoverage.Fact.SPEND:
        return (
            f"EXISTS ({coverage} JOIN {_table(PlatformCampaign)} pcm ON pcm.source = cov.source "
            f"WHERE cov.fact = 'spend' AND pcm.campaign_id = {alias}.campaign_id AND {span})"
        )
    return f"EXISTS ({coverage} WHERE cov.fact = '{fact}' AND {span})"


def counted_condition(fact: str, alias: str = "f") -> str:
    """SQL over the fact row ``alias`` of ``fact`` (traffic, keyword, spend): true when it counts — a
    connector's row, or an imported or tracked one outside every connector's span."""
    return f"({alias}.source IN ({_CONNECTORS}) OR NOT {_covered(fact, alias)})"


def covered_import_rows(fact: str, rows: list[tuple[date, int | None]]) -> int:
    """How many of the (date, campaign id or None) rows an import would write fall inside a
    connector's span, and so would not count (the import preview's warning)."""
    if not rows:
        return 0
    days = [d for d, _ in rows]
    campaigns = [c for _, c in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM unnest(%s::date[], %s::bigint[]) f(date, campaign_id) WHERE {_covered(fact, 'f')}",  # noqa: S608 (the code's own identifiers only)
            [days, campaigns],
        )
        return cursor.fetchone()[0]
