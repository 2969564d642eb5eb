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
    """How one source reads its facts, in two levels: the fact rows are first grouped by period and
    raw attributes (ids), with the pre-aggregates ``pre``; the keys are then joined to those far
    fewer rows and the ``measures`` summed over the grouping sets (grouping a million leads once
    instead of once per dimension)."""

    table: str  # the fact table and its alias
    condition: str  # which of its rows count
    raw: dict[str, tuple[str, ...]]  # dimension → raw columns it needs (names from ``columns``)
    columns: dict[str, str]  # raw column → SQL over the fact row
    pre: dict[str, str]  # pre-aggregate → SQL aggregate over the fact rows
    joins: dict[str, tuple[str, str, str]]  # alias → (join over the pre-grouped rows ``i``, raw column, join first)
    keys: dict[str, tuple[str, str]]  # dimension → (key SQL, join alias it needs or "")
    measures: tuple[str, ...]  # SQL aggregates over the pre-aggregates, in Source order
    always: tuple[str, ...] = ()  # joins every query needs (the paid flag of the channel)


def _join(model, alias: str, on: str) -> str:
    return f"LEFT JOIN {_t(model)} {alias} ON {alias}.id = {on}"


def _lead_shape(source: str) -> _Shape:
    column = f"l.{LEAD_TIMESTAMP[source]}"
    pre, measures = {
        "created": ({"n": "count(*)", "to_mql": "count(*) FILTER (WHERE l.mql_at <= %(as_of)s)",
                     "to_customer": "count(*) FILTER (WHERE l.customer_at <= %(as_of)s)"},
                    ("sum(n)", "sum(n) FILTER (WHERE ch.is_paid)", "sum(to_mql)", "sum(to_customer)")),
        "mql": ({"n": "count(*)", "to_sql": "count(*) FILTER (WHERE l.sql_at <= %(as_of)s)"},
                ("sum(n)", "sum(to_sql)")),
        "sql": ({"n": "count(*)", "to_customer": "count(*) FILTER (WHERE l.customer_at <= %(as_of)s)"},
                ("sum(n)", "sum(to_customer)")),
        "customer": ({"n": "count(*)", "deal": "sum(l.deal_value)"}, ("sum(n)", "sum(deal)")),
    }[source]  # fmt: skip
    return _Shape(
        table=f"{_t(Lead)} l",
        condition=f"{column} <= %(as_of)s",
        raw={d: (f"{d}_id",) for d in ("channel", "campaign", "offer", "landing_page")},
        columns={f"{d}_id": f"l.{d}_id" for d in ("channel", "campaign", "offer", "landing_page")},
        pre=pre,
        joins={"ch": (_join(Channel, "ch", "i.channel_id"), "channel_id", ""),
               "cp": (_join(Campaign, "cp", "i.campaign_id"), "campaign_id", ""),
               "o": (_join(Offer, "o", "i.offer_id"), "offer_id", ""),
               "lp": (_join(LandingPage, "lp", "i.landing_page_id"), "landing_page_id", "")},
        keys={"channel": ("ch.key", "ch"), "campaign": ("cp.key", "cp"), "offer": ("o.key", "o"),
              "landing_page": ("lp.key", "lp")},
        measures=measures,
        always=("ch",) if source == "created" else (),
    )  # fmt: skip


def _fact_shape(source: str) -> _Shape:
    if source == "traffic":
        return _Shape(
            table=f"{_t(Traffic)} f",
            condition="TRUE",
            raw={"channel": ("channel_id",), "landing_page": ("landing_page_id",)},
            columns={"channel_id": "f.channel_id", "landing_page_id": "f.landing_page_id"},
            pre={"visits": "sum(f.visits)"},
            joins={"ch": (_join(Channel, "ch", "i.channel_id"), "channel_id", ""),
                   "lp": (_join(LandingPage, "lp", "i.landing_page_id"), "landing_page_id", "")},
            keys={"channel": ("ch.key", "ch"), "landing_page": ("lp.key", "lp")},
            measures=("sum(visits)",),
        )  # fmt: skip
    if source == "spend":
        # A spend row's channel is its campaign's.
        return _Shape(
            table=f"{_t(Spend)} f",
            condition="TRUE",
            raw={"channel": ("campaign_id",), "campaign": ("campaign_id",)},
            columns={"campaign_id": "f.campaign_id"},
            pre={"amount": "sum(f.amount)"},
            joins={"cp": (_join(Campaign, "cp", "i.campaign_id"), "campaign_id", ""),
                   "ch": (_join(Channel, "ch", "cp.channel_id"), "campaign_id", "cp")},
            keys={"channel": ("ch.key", "ch"), "campaign": ("cp.key", "cp")},
            measures=("sum(amount)",),
        )  # fmt: skip
    if source == "cta":
        return _Shape(
            table=f"{_t(CTAStat)} f",
            condition="TRUE",
            raw={"cta": ("cta_id",)},
            columns={"cta_id": "f.cta_id"},
            pre={"clicks": "sum(f.clicks)", "views": "sum(f.views)"},
            joins={"d": (_join(CTA, "d", "i.cta_id"), "cta_id", "")},
            keys={"cta": ("d.key", "d")},
            measures=("sum(clicks)", "sum(views)"),
        )
    if source == "keyword":
        return _Shape(
            table=f"{_t(KeywordStat)} f",
            condition="TRUE",
            raw={"keyword": ("keyword",)},
            columns={"keyword": "f.keyword"},
            pre={"visits": "sum(f.visits)"},
            joins={},
            keys={"keyword": ("i.keyword", "")},
            measures=("sum(visits)",),
        )
    if source == "email":
        counters = ("sent", "delivered", "unique_opens", "unique_clicks", "unsubscribes")
        return _Shape(
            table=f"{_t(EmailSend)} f",
            condition="f.sent_at <= %(as_of)s",
            raw={"email": ("send_key",), "campaign": ("campaign_id",)},
            columns={"send_key": "f.key", "campaign_id": "f.campaign_id"},
            pre={c: f"sum(f.{c})" for c in counters},
            joins={"cp": (_join(Campaign, "cp", "i.campaign_id"), "campaign_id", "")},
            keys={"email": ("i.send_key", ""), "campaign": ("cp.key", "cp")},
            measures=tuple(f"sum({c})" for c in counters),
        )
    raise ValueError(f"Unknown source {source!r}")


def _bucket(kind: str, source: str) -> str:
    """The local period start of a fact, in SQL. ``kind`` is one of kpis.engine.PERIODS (checked by callers)."""
    if source in TIMESTAMP_SOURCES:
        local = f"({TIMESTAMP_SOURCES[source]} AT TIME ZONE %(tz)s)"
        return f"{local}::date" if kind == "day" else f"date_trunc('{kind}', {local})::date"
    column = DATE_SOURCES[source]
    return column if kind == "day" else f"date_trunc('{kind}', {column}::timestamp)::date"


def _windowed(source: str, table: str) -> str:
    """``table`` restricted to the local-date windows ``[lo, hi)`` given as two date arrays (disjoint),
    by a join whose range condition on the raw column its index serves (one range scan per window)."""
    if source in TIMESTAMP_SOURCES:
        column = TIMESTAMP_SOURCES[source]
        lo, hi = "(w.lo::timestamp AT TIME ZONE %(tz)s)", "(w.hi::timestamp AT TIME ZONE %(tz)s)"
    else:
        column, lo, hi = DATE_SOURCES[source], "w.lo", "w.hi"
    return (f"unnest(%(win_lo)s::date[], %(win_hi)s::date[]) w(lo, hi) "
            f"JOIN {table} ON {column} >= {lo} AND {column} < {hi}")  # fmt: skip


def source_sql(source: str, *, kind: str, dimensions: tuple[str | None, ...], windowed: bool) -> str:
    """One query of ``source``: rows ``(start, source, dimension, key, m0…m4)`` for the total
    (``None`` in ``dimensions``) and each listed dimension the source allows (``GROUPING SETS``);
    ``''`` for the total's dimension and key and for a fact without the attribute. Empty when
    nothing applies. Parameters: ``tz``, ``as_of``, and with ``windowed`` the arrays ``win_lo``/``win_hi``.
    """
    shape = (_lead_shape if source in LEAD_SOURCES else _fact_shape)(source)
    dims = [d for d in dimensions if d is not None and d in shape.keys]
    sets = (["(start)"] if None in dimensions else []) + [f"(start, {shape.keys[d][0]})" for d in dims]
    if not sets:
        return ""
    aliases: list[str] = []
    for alias in [*shape.always, *(shape.keys[d][1] for d in dims if shape.keys[d][1])]:
        for needed in (shape.joins[alias][2], alias):  # a join first needs the one it goes through
            if needed and needed not in aliases:
                aliases.append(needed)
    raw = list(dict.fromkeys([*(c for d in dims for c in shape.raw[d]), *(shape.joins[a][1] for a in aliases)]))
    facts = _windowed(source, shape.table) if windowed else shape.table
    inner = ", ".join([f"{_bucket(kind, source)} AS start"] + [f"{shape.columns[c]} AS {c}" for c in raw]
                      + [f"{expr} AS {name}" for name, expr in shape.pre.items()])  # fmt: skip
    grouped = ", ".join(str(i) for i in range(1, len(raw) + 2))
    if dims:
        keys = [shape.keys[d][0] for d in dims]
        dimension = ("CASE " + " ".join(f"WHEN GROUPING({k}) = 0 THEN '{d}'" for d, k in zip(dims, keys, strict=True))
                     + " ELSE '' END")  # fmt: skip
        key = "CASE " + " ".join(f"WHEN GROUPING({k}) = 0 THEN COALESCE({k}, '')" for k in keys) + " ELSE '' END"
    else:
        dimension = key = "''"
    padded = list(shape.measures) + ["NULL"] * (MEASURE_WIDTH - len(shape.measures))
    columns = ", ".join(f"COALESCE({m}, 0)::numeric AS m{i}" if m != "NULL" else f"NULL::numeric AS m{i}"
                        for i, m in enumerate(padded))  # fmt: skip
    return f"""
        SELECT i.start, '{source}'::text AS source, {dimension}::text AS dimension, {key}::text AS key, {columns}
        FROM (SELECT {inner} FROM {facts} WHERE {shape.condition} GROUP BY {grouped}) i
        {" ".join(shape.joins[a][0] for a in aliases)}
        GROUP BY GROUPING SETS ({", ".join(sets).replace("(start", "(i.start")})"""


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
