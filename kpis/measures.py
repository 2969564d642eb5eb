"""The base aggregates ("measures") every KPI is derived from, and the SQL that computes them
from the facts (spec kpis.md §1, §4).

A *source* is one way of counting facts: leads by the day they were created, leads by the day
they reached MQL, traffic by its date, … Each source buckets its facts by local period in the
client's zone (inside PostgreSQL) and breaks them down by the dimensions its KPIs allow, all in
ONE ``GROUP BY GROUPING SETS`` query. The result is "long": one row per (start, source,
dimension, key) with up to five measure columns ``m0``…``m4`` whose meaning ``SOURCES`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from campaigns.models import CTA, Campaign, Channel, CTAStat, EmailSend, KeywordStat, LandingPage, Offer, Spend, Traffic
from kpis.models import MEASURE_WIDTH
from leads.models import Lead


@dataclass(frozen=True)
class Source:
    name: str
    measures: tuple[str, ...]  # m0, m1, … in this order
    dimensions: tuple[str, ...]  # the breakdowns its KPIs allow


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        # Leads by created_at; the cohort counts are "reached by as-of".
        Source("created", ("leads", "paid_leads", "leads_to_mql", "leads_to_customer"),
               ("channel", "campaign", "offer", "landing_page")),
        Source("mql", ("mqls", "mqls_to_sql"), ("channel", "campaign", "offer")),
        Source("sql", ("sqls", "sqls_to_customer"), ("channel", "campaign", "offer")),
        Source("customer", ("customers", "revenue"), ("channel", "campaign", "offer")),
        Source("traffic", ("visits",), ("channel", "landing_page")),
        Source("spend", ("spend",), ("channel", "campaign")),
        Source("cta", ("cta_clicks", "cta_views"), ("cta",)),
        Source("keyword", ("keyword_visits",), ("keyword",)),
        Source("email", ("emails_sent", "emails_delivered", "email_opens", "email_clicks", "email_unsubscribes"),
               ("email", "campaign")),
    )
}  # fmt: skip
SOURCE_OF_MEASURE: dict[str, str] = {m: s.name for s in SOURCES.values() for m in s.measures}
LEAD_SOURCES = ("created", "mql", "sql", "customer")
# The lead timestamp each lead source buckets by.
LEAD_TIMESTAMP = {"created": "created_at", "mql": "mql_at", "sql": "sql_at", "customer": "customer_at"}
# Sources whose facts carry an instant (the rest carry a local date).
TIMESTAMP_SOURCES = {**{s: f"l.{c}" for s, c in LEAD_TIMESTAMP.items()}, "email": "f.sent_at"}
DATE_SOURCES = {"traffic": "f.date", "spend": "f.date", "cta": "f.date", "keyword": "f.date"}

assert all(len(s.measures) <= MEASURE_WIDTH for s in SOURCES.values())  # noqa: S101 (a definition check)


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- one query per source ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """How one source reads its facts: FROM (joins and base filter), a key column per dimension,
    per-fact values (``inner``) and the aggregates over them (``measures``, in ``Source`` order)."""

    from_clause: str
    keys: dict[str, str]
    inner: dict[str, str]
    measures: tuple[str, ...]


def _lead_shape(source: str) -> _Shape:
    column = f"l.{LEAD_TIMESTAMP[source]}"
    joins = {
        "campaign": f"LEFT JOIN {_t(Campaign)} cp ON cp.id = l.campaign_id",
        "offer": f"LEFT JOIN {_t(Offer)} o ON o.id = l.offer_id",
        "landing_page": f"LEFT JOIN {_t(LandingPage)} lp ON lp.id = l.landing_page_id",
    }
    keys = {"channel": "ch.key", "campaign": "cp.key", "offer": "o.key", "landing_page": "lp.key"}
    inner, measures = {
        "created": ({"paid": "ch.is_paid", "to_mql": "l.mql_at <= %(as_of)s",
                     "to_customer": "l.customer_at <= %(as_of)s"},
                    ("count(*)", "count(*) FILTER (WHERE paid)", "count(*) FILTER (WHERE to_mql)",
                     "count(*) FILTER (WHERE to_customer)")),
        "mql": ({"to_sql": "l.sql_at <= %(as_of)s"}, ("count(*)", "count(*) FILTER (WHERE to_sql)")),
        "sql": ({"to_customer": "l.customer_at <= %(as_of)s"}, ("count(*)", "count(*) FILTER (WHERE to_customer)")),
        "customer": ({"deal": "l.deal_value"}, ("count(*)", "COALESCE(sum(deal), 0)")),
    }[source]  # fmt: skip
    from_clause = (
        f"{_t(Lead)} l LEFT JOIN {_t(Channel)} ch ON ch.id = l.channel_id {' '.join(joins.values())} "
        f"WHERE {column} <= %(as_of)s"
    )
    return _Shape(from_clause, keys, inner, measures)


def _fact_shape(source: str) -> _Shape:
    if source == "traffic":
        return _Shape(
            f"{_t(Traffic)} f LEFT JOIN {_t(Channel)} ch ON ch.id = f.channel_id "
            f"LEFT JOIN {_t(LandingPage)} lp ON lp.id = f.landing_page_id WHERE TRUE",
            {"channel": "ch.key", "landing_page": "lp.key"}, {"visits": "f.visits"}, ("sum(visits)",),
        )  # fmt: skip
    if source == "spend":
        return _Shape(
            f"{_t(Spend)} f JOIN {_t(Campaign)} cp ON cp.id = f.campaign_id "
            f"LEFT JOIN {_t(Channel)} ch ON ch.id = cp.channel_id WHERE TRUE",
            {"channel": "ch.key", "campaign": "cp.key"}, {"amount": "f.amount"}, ("sum(amount)",),
        )  # fmt: skip
    if source == "cta":
        return _Shape(
            f"{_t(CTAStat)} f JOIN {_t(CTA)} d ON d.id = f.cta_id WHERE TRUE",
            {"cta": "d.key"}, {"clicks": "f.clicks", "views": "f.views"}, ("sum(clicks)", "sum(views)"),
        )  # fmt: skip
    if source == "keyword":
        return _Shape(f"{_t(KeywordStat)} f WHERE TRUE", {"keyword": "f.keyword"}, {"visits": "f.visits"},
                      ("sum(visits)",))  # fmt: skip
    if source == "email":
        columns = ("sent", "delivered", "unique_opens", "unique_clicks", "unsubscribes")
        return _Shape(
            f"{_t(EmailSend)} f LEFT JOIN {_t(Campaign)} cp ON cp.id = f.campaign_id WHERE f.sent_at <= %(as_of)s",
            {"email": "f.key", "campaign": "cp.key"}, {c: f"f.{c}" for c in columns},
            tuple(f"sum({c})" for c in columns),
        )  # fmt: skip
    raise ValueError(f"Unknown source {source!r}")


def _bucket(kind: str, source: str) -> str:
    """The local period start of a fact, in SQL. ``kind`` is one of kpis.engine.PERIODS (checked by callers)."""
    if source in TIMESTAMP_SOURCES:
        local = f"({TIMESTAMP_SOURCES[source]} AT TIME ZONE %(tz)s)"
        return f"{local}::date" if kind == "day" else f"date_trunc('{kind}', {local})::date"
    column = DATE_SOURCES[source]
    return column if kind == "day" else f"date_trunc('{kind}', {column}::timestamp)::date"


def _window_filter(source: str) -> str:
    """Keep the facts of the local-date windows ``[lo, hi)`` given as two date arrays, with a range
    predicate on the raw column so that its index serves it."""
    if source in TIMESTAMP_SOURCES:
        column = TIMESTAMP_SOURCES[source]
        lo, hi = "(w.lo::timestamp AT TIME ZONE %(tz)s)", "(w.hi::timestamp AT TIME ZONE %(tz)s)"
    else:
        column, lo, hi = DATE_SOURCES[source], "w.lo", "w.hi"
    return (f" AND EXISTS (SELECT 1 FROM unnest(%(win_lo)s::date[], %(win_hi)s::date[]) w(lo, hi)"
            f" WHERE {column} >= {lo} AND {column} < {hi})")  # fmt: skip


def source_sql(source: str, *, kind: str, dimensions: tuple[str | None, ...], windowed: bool) -> str:
    """One ``GROUP BY GROUPING SETS`` query of ``source``: rows ``(start, source, dimension, key, m0…m4)``
    for the total (``None`` in ``dimensions``) and each listed dimension the source allows; ``''`` for
    the total's dimension and key and for a fact without the attribute. Empty when nothing applies.

    Parameters: ``tz``, ``as_of``, and with ``windowed`` the arrays ``win_lo``/``win_hi``.
    """
    shape = (_lead_shape if source in LEAD_SOURCES else _fact_shape)(source)
    dims = [d for d in dimensions if d is not None and d in shape.keys]
    sets = (["(start)"] if None in dimensions else []) + [f"(start, {d})" for d in dims]
    if not sets:
        return ""
    where = shape.from_clause + (_window_filter(source) if windowed else "")
    inner = ", ".join([f"{_bucket(kind, source)} AS start"] + [f"{shape.keys[d]} AS {d}" for d in dims]
                      + [f"{expr} AS {name}" for name, expr in shape.inner.items()])  # fmt: skip
    if dims:
        dimension = "CASE " + " ".join(f"WHEN GROUPING({d}) = 0 THEN '{d}'" for d in dims) + " ELSE '' END"
        key = "CASE " + " ".join(f"WHEN GROUPING({d}) = 0 THEN COALESCE({d}, '')" for d in dims) + " ELSE '' END"
    else:
        dimension = key = "''"
    padded = list(shape.measures) + ["NULL"] * (MEASURE_WIDTH - len(shape.measures))
    columns = ", ".join(f"COALESCE({m}, 0)::numeric AS m{i}" if m != "NULL" else f"NULL::numeric AS m{i}"
                        for i, m in enumerate(padded))  # fmt: skip
    return f"""
        SELECT start, '{source}'::text AS source, {dimension}::text AS dimension, {key}::text AS key, {columns}
        FROM (SELECT {inner} FROM {where}) s
        GROUP BY GROUPING SETS ({", ".join(sets)})"""


def measures_sql(*, kind: str, dimensions: tuple[str | None, ...], sources: tuple[str, ...], windowed: bool) -> str:
    """The long measures of several sources (``UNION ALL`` of their queries), or ``""``."""
    parts = [sql for s in sources if (sql := source_sql(s, kind=kind, dimensions=dimensions, windowed=windowed))]
    return " UNION ALL ".join(parts)


def windows_params(windows: list[tuple[date, date]]) -> dict:
    return {"win_lo": [lo for lo, _hi in windows], "win_hi": [hi for _lo, hi in windows]}


def days_to_windows(days: set[date]) -> list[tuple[date, date]]:
    """Contiguous ``[lo, hi)`` windows covering exactly ``days``."""
    from datetime import timedelta

    windows: list[tuple[date, date]] = []
    for day in sorted(days):
        if windows and windows[-1][1] == day:
            windows[-1] = (windows[-1][0], day + timedelta(days=1))
        else:
            windows.append((day, day + timedelta(days=1)))
    return windows
