"""The KPI engine (spec kpis.md): every KPI of the registry computed from the source data of the
current tenant, for every period whose local start date lies in ``[start, end]``.

A call runs a small fixed number of set-based ``GROUP BY`` queries (at most one per data source,
only the sources the asked KPIs need), never one per lead, period or KPI; every KPI is then derived
in Python from those aggregates, so ratios use exactly the same base numbers as the counts.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection

from campaigns.models import CTA, Campaign, Channel, CTAStat, EmailSend, KeywordStat, LandingPage, Offer, Spend, Traffic
from kpis.registry import DIMENSIONS, KPIS, REGISTRY
from leads.models import Lead

PERIODS = ("day", "week", "month", "quarter")

# The data sources a KPI is derived from (one query each).
SOURCES: dict[str, tuple[str, ...]] = {
    "leads": ("created",),
    "visits": ("traffic",),
    "visit_to_lead_rate": ("created", "traffic"),
    "spend": ("spend",),
    "cost_per_lead": ("spend", "created"),
    "lead_growth": ("created",),
    "paid_lead_share": ("created",),
    "organic_lead_share": ("created",),
    "lead_to_customer_rate": ("created",),
    "customers": ("customer",),
    "revenue": ("customer",),
    "roi": ("customer", "spend"),
    "cta_click_rate": ("cta",),
    "keyword_visits": ("keyword",),
    "email_deliverability_rate": ("email",),
    "email_open_rate": ("email",),
    "email_click_rate": ("email",),
    "email_unsubscribe_rate": ("email",),
    "mqls": ("mql",),
    "sqls": ("sql",),
    "lead_to_mql_rate": ("created",),
    "mql_to_sql_rate": ("mql",),
    "sql_to_customer_rate": ("sql",),
}


# --- periods -------------------------------------------------------------------------------------


def period_floor(day: date, kind: str) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_shift(start: date, kind: str, n: int = 1) -> date:
    """The start of the period ``n`` periods after the one starting at ``start`` (n may be negative)."""
    if kind == "day":
        return start + timedelta(days=n)
    if kind == "week":
        return start + timedelta(weeks=n)
    return _add_months(start, n * (1 if kind == "month" else 3))


def period_starts(kind: str, start: date, end: date) -> list[date]:
    """Start dates of every period of ``kind`` whose start lies in ``[start, end]``."""
    first = period_floor(start, kind)
    if first < start:
        first = period_shift(first, kind)
    starts = []
    while first <= end:
        starts.append(first)
        first = period_shift(first, kind)
    return starts


# --- queries -------------------------------------------------------------------------------------


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _bucket(kind: str, column: str, *, timestamp: bool) -> str:
    # `kind` comes from PERIODS only (checked by kpi_compute); the zone is a query parameter.
    if timestamp:
        return f"date_trunc('{kind}', {column} AT TIME ZONE %(tz)s)::date"
    return f"date_trunc('{kind}', {column}::timestamp)::date"


def _lead_dimension(dimension: str | None) -> tuple[str, str]:
    """(key expression, extra join) of a lead dimension; the channel table is always joined as ch."""
    tables = {"campaign": Campaign, "offer": Offer, "landing_page": LandingPage}
    if dimension is None:
        return "NULL::text", ""
    if dimension == "channel":
        return "ch.key", ""
    return "d.key", f"LEFT JOIN {_t(tables[dimension])} d ON d.id = l.{dimension}_id"


def _sql_created(kind: str, dimension: str | None) -> str:
    key, join = _lead_dimension(dimension)
    bucket = _bucket(kind, "l.created_at", timestamp=True)
    return f"""
        SELECT {bucket}, {key}, count(*),
               count(*) FILTER (WHERE ch.is_paid),
               count(*) FILTER (WHERE l.mql_at <= %(as_of)s),
               count(*) FILTER (WHERE l.sql_at <= %(as_of)s),
               count(*) FILTER (WHERE l.customer_at <= %(as_of)s)
        FROM {_t(Lead)} l LEFT JOIN {_t(Channel)} ch ON ch.id = l.channel_id {join}
        WHERE l.created_at <= %(as_of)s AND {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


def _sql_stage(stage: str, kind: str, dimension: str | None) -> str:
    key, join = _lead_dimension(dimension)
    column = f"l.{stage}_at"
    bucket = _bucket(kind, column, timestamp=True)
    if stage == "mql":
        extra = "count(*) FILTER (WHERE l.sql_at <= %(as_of)s)"
    elif stage == "sql":
        extra = "count(*) FILTER (WHERE l.customer_at <= %(as_of)s)"
    else:
        extra = "COALESCE(sum(l.deal_value), 0)"
    return f"""
        SELECT {bucket}, {key}, count(*), {extra}
        FROM {_t(Lead)} l LEFT JOIN {_t(Channel)} ch ON ch.id = l.channel_id {join}
        WHERE {column} <= %(as_of)s AND {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


def _sql_traffic(kind: str, dimension: str | None) -> str:
    key, join = {
        None: ("NULL::text", ""),
        "channel": ("d.key", f"LEFT JOIN {_t(Channel)} d ON d.id = f.channel_id"),
        "landing_page": ("d.key", f"LEFT JOIN {_t(LandingPage)} d ON d.id = f.landing_page_id"),
    }[dimension]
    bucket = _bucket(kind, "f.date", timestamp=False)
    return f"""
        SELECT {bucket}, {key}, COALESCE(sum(f.visits), 0)
        FROM {_t(Traffic)} f {join}
        WHERE {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


def _sql_spend(kind: str, dimension: str | None) -> str:
    key = {None: "NULL::text", "channel": "ch.key", "campaign": "c.key"}[dimension]
    bucket = _bucket(kind, "f.date", timestamp=False)
    return f"""
        SELECT {bucket}, {key}, COALESCE(sum(f.amount), 0)
        FROM {_t(Spend)} f JOIN {_t(Campaign)} c ON c.id = f.campaign_id
             LEFT JOIN {_t(Channel)} ch ON ch.id = c.channel_id
        WHERE {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


def _sql_cta(kind: str, dimension: str | None) -> str:
    key = "NULL::text" if dimension is None else "d.key"
    bucket = _bucket(kind, "f.date", timestamp=False)
    return f"""
        SELECT {bucket}, {key}, COALESCE(sum(f.clicks), 0), COALESCE(sum(f.views), 0)
        FROM {_t(CTAStat)} f JOIN {_t(CTA)} d ON d.id = f.cta_id
        WHERE {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


def _sql_keyword(kind: str, dimension: str | None) -> str:
    key = "NULL::text" if dimension is None else "f.keyword"
    bucket = _bucket(kind, "f.date", timestamp=False)
    return f"""
        SELECT {bucket}, {key}, COALESCE(sum(f.visits), 0)
        FROM {_t(KeywordStat)} f
        WHERE {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


def _sql_email(kind: str, dimension: str | None) -> str:
    key = {None: "NULL::text", "email": "f.key", "campaign": "c.key"}[dimension]
    bucket = _bucket(kind, "f.sent_at", timestamp=True)
    return f"""
        SELECT {bucket}, {key}, COALESCE(sum(f.sent), 0), COALESCE(sum(f.delivered), 0),
               COALESCE(sum(f.unique_opens), 0), COALESCE(sum(f.unique_clicks), 0),
               COALESCE(sum(f.unsubscribes), 0)
        FROM {_t(EmailSend)} f LEFT JOIN {_t(Campaign)} c ON c.id = f.campaign_id
        WHERE {bucket} BETWEEN %(lo)s AND %(hi)s
        GROUP BY 1, 2"""  # noqa: S608 (identifiers come from the models, values are parameters)


QUERIES = {
    "created": _sql_created,
    "mql": lambda kind, dim: _sql_stage("mql", kind, dim),
    "sql": lambda kind, dim: _sql_stage("sql", kind, dim),
    "customer": lambda kind, dim: _sql_stage("customer", kind, dim),
    "traffic": _sql_traffic,
    "spend": _sql_spend,
    "cta": _sql_cta,
    "keyword": _sql_keyword,
    "email": _sql_email,
}
WIDTH = {"created": 5, "mql": 2, "sql": 2, "customer": 2, "traffic": 1, "spend": 1, "cta": 2, "keyword": 1, "email": 5}


# --- derivation ----------------------------------------------------------------------------------


def _num(value, unit_money: bool):
    if value is None:
        return None
    return float(value) if unit_money or isinstance(value, Decimal | float) else int(value)


def _ratio(numerator, denominator, *, money: bool = False) -> tuple:
    value = None if not denominator else float(numerator) / float(denominator)
    return value, _num(numerator, money), _num(denominator, False)


def _derive(kpi: str, get, prev) -> tuple:
    """(value, numerator, denominator) of one KPI for one period and key. ``get(source)`` gives
    that source's aggregate tuple (zeros when absent); ``prev`` the `created` tuple of P−1."""
    created, mql, sql, customer = get("created"), get("mql"), get("sql"), get("customer")
    leads, paid, to_mql, _to_sql, to_customer = created
    match kpi:
        case "leads":
            return leads, None, None
        case "visits":
            return int(get("traffic")[0]), None, None
        case "visit_to_lead_rate":
            return _ratio(leads, get("traffic")[0])
        case "spend":
            return float(get("spend")[0]), None, None
        case "cost_per_lead":
            return _ratio(get("spend")[0], leads, money=True)
        case "lead_growth":
            return _ratio(leads - prev[0], prev[0])
        case "paid_lead_share":
            return _ratio(paid, leads)
        case "organic_lead_share":
            return _ratio(leads - paid, leads)
        case "lead_to_customer_rate":
            return _ratio(to_customer, leads)
        case "customers":
            return customer[0], None, None
        case "revenue":
            return float(customer[1]), None, None
        case "roi":
            spend = get("spend")[0]
            return _ratio(Decimal(customer[1]) - Decimal(spend), spend, money=True)
        case "cta_click_rate":
            clicks, views = get("cta")
            return _ratio(clicks, views)
        case "keyword_visits":
            return int(get("keyword")[0]), None, None
        case "mqls":
            return mql[0], None, None
        case "sqls":
            return sql[0], None, None
        case "lead_to_mql_rate":
            return _ratio(to_mql, leads)
        case "mql_to_sql_rate":
            return _ratio(mql[1], mql[0])
        case "sql_to_customer_rate":
            return _ratio(sql[1], sql[0])
    sent, delivered, opens, clicks, unsubscribes = get("email")
    match kpi:
        case "email_deliverability_rate":
            return _ratio(delivered, sent)
        case "email_open_rate":
            return _ratio(opens, delivered)
        case "email_click_rate":
            return _ratio(clicks, delivered)
        case "email_unsubscribe_rate":
            return _ratio(unsubscribes, delivered)
    raise ValueError(f"Unknown KPI {kpi!r}")


def kpi_compute(
    *,
    period: str,
    start: date,
    end: date,
    dimension: str | None,
    as_of: datetime,
    kpis: list[str] | None = None,
) -> list[dict]:
    """Rows ``{"kpi", "period", "start", "dimension", "key", "value", "numerator", "denominator",
    "target", "status"}`` for the current tenant: totals (``dimension`` None) or only the rows of
    ``dimension`` for the KPIs that allow it."""
    if period not in PERIODS:
        raise ValueError(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
    if dimension is not None and dimension not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}.")
    unknown = [key for key in kpis or () if key not in KPIS]
    if unknown:
        raise ValueError(f"Unknown KPI {', '.join(unknown)}.")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime.")
    tenant = getattr(connection, "tenant", None)
    zone = getattr(tenant, "time_zone", None) or "Europe/Paris"
    zoneinfo.ZoneInfo(zone)  # fail early on a bad zone

    selected = [
        kpi
        for kpi in REGISTRY
        if (kpis is None or kpi.key in kpis)
        and (dimension in kpi.dimensions if dimension else not kpi.dimension_required)
    ]
    starts = period_starts(period, start, end)
    if not selected or not starts:
        return []

    sources = sorted({source for kpi in selected for source in SOURCES[kpi.key]})
    params = {"tz": zone, "as_of": as_of, "lo": period_shift(starts[0], period, -1), "hi": starts[-1]}
    data: dict[str, dict[tuple[date, str | None], tuple]] = {}
    with connection.cursor() as cursor:
        for source in sources:
            cursor.execute(QUERIES[source](period, dimension), params)
            data[source] = {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}

    zeros = {source: (0,) * width for source, width in WIDTH.items()}
    keys_by_period: dict[str, dict[date, set]] = {source: defaultdict(set) for source in data}
    for source, rows in data.items():
        for bucket, key in rows:
            keys_by_period[source][bucket].add(key)

    result = []
    for kpi in selected:
        for p in starts:
            previous = period_shift(p, period, -1)
            if dimension is None:
                keys = [None]
            else:
                keys = set()
                for source in SOURCES[kpi.key]:
                    keys |= keys_by_period[source].get(p, set())
                if kpi.key == "lead_growth":
                    keys |= keys_by_period["created"].get(previous, set())
                keys = sorted(keys, key=lambda k: (k is None, k or ""))
            for key in keys:

                def get(source, _p=p, _key=key):
                    return data.get(source, {}).get((_p, _key), zeros[source])

                prev = data.get("created", {}).get((previous, key), zeros["created"])
                value, numerator, denominator = _derive(kpi.key, get, prev)
                result.append({
                    "kpi": kpi.key,
                    "period": period,
                    "start": p.isoformat(),
                    "dimension": dimension,
                    "key": key,
                    "value": value,
                    "numerator": numerator,
                    "denominator": denominator,
                    "target": None,
                    "status": None,
                })  # fmt: skip
    return result
