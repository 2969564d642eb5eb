"""The base aggregates ("measures") every KPI is derived from, and the SQL that computes them
from the facts (docs/kpis.md §1, §4).

A *source* (``MeasureSource``) is one way of counting facts into measures: leads by the day they
were created, leads by the day they reached MQL, traffic by its date, … Each source buckets its
facts by local period in the client's zone (inside PostgreSQL) and breaks them down by the
dimensions its KPIs allow, all in ONE ``GROUP BY GROUPING SETS`` query (built by ``kpis.sql``).
The result is "long": one row per (start, source, dimension, key) with up to five measure
columns ``m0``…``m4`` whose meaning ``SOURCES`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from campaigns.coverage import counted_condition
from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    KeywordStat,
    LandingPage,
    MetricValue,
    Offer,
    Spend,
    Traffic,
)
from campaigns.rules import METRIC_NAME
from kpis.models import MEASURE_WIDTH
from kpis.sql import grouping_sets, quoted_table
from leads.models import Lead
from tenants.zones import client_zone


@dataclass(frozen=True)
class MeasureSource:
    """One way of counting facts into measures (a lead timestamp, a fact table), the name its rows
    carry in ``Measure.source`` and ``DirtyDay.source``."""

    name: str
    measures: tuple[str, ...]  # m0, m1, … in this order
    dimensions: tuple[str, ...]  # the breakdowns its KPIs allow


SOURCES: dict[str, MeasureSource] = {
    source.name: source
    for source in (
        # Leads by created_at; the cohort counts are "reached by as-of".
        MeasureSource(
            "created",
            ("leads", "paid_leads", "leads_to_mql", "leads_to_customer"),
            ("channel", "campaign", "offer", "landing_page"),
        ),
        MeasureSource("mql", ("mqls", "mqls_to_sql"), ("channel", "campaign", "offer")),
        MeasureSource("sql", ("sqls", "sqls_to_customer"), ("channel", "campaign", "offer")),
        MeasureSource("customer", ("customers", "revenue"), ("channel", "campaign", "offer")),
        MeasureSource("traffic", ("visits",), ("channel", "landing_page")),
        MeasureSource("spend", ("spend",), ("channel", "campaign")),
        MeasureSource("cta", ("cta_clicks", "cta_views"), ("cta",)),
        MeasureSource("keyword", ("keyword_visits",), ("keyword",)),
        MeasureSource(
            "email",
            ("emails_sent", "emails_delivered", "email_opens", "email_clicks", "email_unsubscribes"),
            ("email", "campaign"),
        ),
    )
}
SOURCE_OF_MEASURE: dict[str, str] = {m: s.name for s in SOURCES.values() for m in s.measures}
LEAD_SOURCES = ("created", "mql", "sql", "customer")
# The lead timestamp each lead source buckets by.
LEAD_TIMESTAMP = {"created": "created_at", "mql": "mql_at", "sql": "sql_at", "customer": "customer_at"}
# Sources whose facts carry an instant (the rest carry a local date).
TIMESTAMP_SOURCES = {**{s: f"l.{c}" for s, c in LEAD_TIMESTAMP.items()}, "email": "f.sent_at"}
DATE_SOURCES = {"traffic": "f.date", "spend": "f.date", "cta": "f.date", "keyword": "f.date"}
# The local date of as-of: a daily fact dated after it is left out, one dated on it counts in full.
AS_OF_DATE = "(%(as_of)s AT TIME ZONE %(tz)s)::date"
# The instants where a local-date window ``w(lo, hi)`` starts and ends, in the client's zone.
WINDOW_INSTANTS = ("(w.lo::timestamp AT TIME ZONE %(tz)s)", "(w.hi::timestamp AT TIME ZONE %(tz)s)")

assert all(len(s.measures) <= MEASURE_WIDTH for s in SOURCES.values())  # noqa: S101 (a definition check)


def current_zone_name() -> str:
    """The current client's IANA zone name, the ``tz`` parameter the measures are bucketed in;
    fails closed outside a client."""
    tenant = getattr(connection, "tenant", None)
    if not getattr(tenant, "time_zone", None):
        raise ValueError("KPIs are computed inside a client account.")
    return client_zone(tenant).key


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
    measures: tuple[str, ...]  # SQL aggregates over the pre-aggregates, in MeasureSource order
    always: tuple[str, ...] = ()  # joins every query needs (the paid flag of the channel)


def _join(model, alias: str, on: str) -> str:
    return f"LEFT JOIN {quoted_table(model)} {alias} ON {alias}.id = {on}"


# Leads, as events: a lead counts once per timestamp it has (created, reached MQL, SQL, customer),
# each event with up to two integer flags and, for a customer, its deal value (see _lead_sql). The
# flags stay integers: mixed with the deal value in one column they would all become numeric, whose
# sums cost several times more over a million leads.
LEAD_EVENTS = {
    "created": ("(l.mql_at <= %(as_of)s IS TRUE)::int", "(l.customer_at <= %(as_of)s IS TRUE)::int", "NULL::numeric"),
    "mql": ("(l.sql_at <= %(as_of)s IS TRUE)::int", "NULL::int", "NULL::numeric"),
    "sql": ("(l.customer_at <= %(as_of)s IS TRUE)::int", "NULL::int", "NULL::numeric"),
    "customer": ("NULL::int", "NULL::int", "COALESCE(l.deal_value, 0)"),
}
LEAD_KEYS = {
    "channel": ("ch", Channel),
    "campaign": ("cp", Campaign),
    "offer": ("o", Offer),
    "landing_page": ("lp", LandingPage),
}
# Measures of each lead source over the pre-grouped rows: n events, flag sums x1 and x2, deal values
# v (MeasureSource order).
LEAD_MEASURES = (
    "sum(i.n)",
    "CASE i.source WHEN 'created' THEN sum(i.n) FILTER (WHERE ch.is_paid) WHEN 'customer' THEN sum(i.v)"
    " ELSE sum(i.x1) END",
    "CASE i.source WHEN 'created' THEN sum(i.x1) END",
    "CASE i.source WHEN 'created' THEN sum(i.x2) END",
)


def _lead_sql(sources: tuple[str, ...], *, kind: str, dimensions: tuple[str | None, ...], windowed: bool) -> str:
    """The measures of some lead sources in ONE scan of the leads: each lead yields one event per
    source whose timestamp it has, grouped first by period and raw ids, then by the grouping sets.

    Windowed: for one source, its timestamp's index serves the windows (an incremental refresh
    reads a few days); for several (a report's range), the events are filtered on their instant."""
    dims = [
        d for d in dimensions if d is not None and d in LEAD_KEYS and any(d in SOURCES[s].dimensions for s in sources)
    ]
    grouping = grouping_sets(
        by=("i.source", "i.start"), keys={d: f"{LEAD_KEYS[d][0]}.key" for d in dims}, total=None in dimensions
    )
    if grouping is None:
        return ""
    events = ", ".join(f"('{s}', l.{LEAD_TIMESTAMP[s]}, {', '.join(LEAD_EVENTS[s])})" for s in sources)
    facts = f"{quoted_table(Lead)} l"
    if windowed and len(sources) == 1:
        facts = _windowed(sources[0], facts)
    condition = "e.ts <= %(as_of)s"
    if windowed and len(sources) > 1:
        lo, hi = WINDOW_INSTANTS
        condition += (
            " AND EXISTS (SELECT 1 FROM unnest(%(win_lo)s::date[], %(win_hi)s::date[]) w(lo, hi) "
            f"WHERE e.ts >= {lo} AND e.ts < {hi})"
        )
    bucket = _local_period_start(kind, "(e.ts AT TIME ZONE %(tz)s)")
    ids = ["channel_id", *(f"{d}_id" for d in dims if d != "channel")]
    joins = " ".join(
        f"LEFT JOIN {quoted_table(LEAD_KEYS[d][1])} {LEAD_KEYS[d][0]} ON {LEAD_KEYS[d][0]}.id = i.{d}_id"
        for d in ("channel", *(d for d in dims if d != "channel"))
    )
    # Only the created leads break down by landing page.
    having = "HAVING NOT (GROUPING(lp.key) = 0 AND i.source <> 'created')" if "landing_page" in dims else ""
    columns = ", ".join(
        f"COALESCE({m}, 0)::numeric AS m{n}" if n == 0 or n == 1 else f"({m})::numeric AS m{n}"
        for n, m in enumerate(LEAD_MEASURES)
    )
    return f"""
        SELECT i.start, i.source, {grouping.dimension}::text AS dimension, {grouping.key}::text AS key, {columns},
               NULL::numeric AS m4
        FROM (SELECT e.source, {bucket} AS start, {", ".join(f"l.{c}" for c in ids)},
                     count(*)::int AS n, sum(e.x1)::int AS x1, sum(e.x2)::int AS x2, sum(e.v) AS v
              FROM {facts} CROSS JOIN LATERAL (VALUES {events}) e(source, ts, x1, x2, v)
              WHERE {condition} GROUP BY {", ".join(str(n) for n in range(1, len(ids) + 3))}) i
        {joins}
        {grouping.group_by} {having}"""


def _fact_shape(source: str) -> _Shape:
    if source == "traffic":
        return _Shape(
            table=f"{quoted_table(Traffic)} f",
            condition=counted_condition("traffic"),
            raw={"channel": ("channel_id",), "landing_page": ("landing_page_id",)},
            columns={"channel_id": "f.channel_id", "landing_page_id": "f.landing_page_id"},
            pre={"visits": "sum(f.visits)"},
            joins={
                "ch": (_join(Channel, "ch", "i.channel_id"), "channel_id", ""),
                "lp": (_join(LandingPage, "lp", "i.landing_page_id"), "landing_page_id", ""),
            },
            keys={"channel": ("ch.key", "ch"), "landing_page": ("lp.key", "lp")},
            measures=("sum(visits)",),
        )
    if source == "spend":
        # A spend row's channel is its campaign's.
        return _Shape(
            table=f"{quoted_table(Spend)} f",
            condition=counted_condition("spend"),
            raw={"channel": ("campaign_id",), "campaign": ("campaign_id",)},
            columns={"campaign_id": "f.campaign_id"},
            pre={"amount": "sum(f.amount)"},
            joins={
                "cp": (_join(Campaign, "cp", "i.campaign_id"), "campaign_id", ""),
                "ch": (_join(Channel, "ch", "cp.channel_id"), "campaign_id", "cp"),
            },
            keys={"channel": ("ch.key", "ch"), "campaign": ("cp.key", "cp")},
            measures=("sum(amount)",),
        )
    if source == "cta":
        return _Shape(
            table=f"{quoted_table(CTAStat)} f",
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
            table=f"{quoted_table(KeywordStat)} f",
            condition=counted_condition("keyword"),
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
            table=f"{quoted_table(EmailSend)} f",
            condition="f.sent_at <= %(as_of)s",
            raw={"email": ("send_key",), "campaign": ("campaign_id",)},
            columns={"send_key": "f.key", "campaign_id": "f.campaign_id"},
            pre={c: f"sum(f.{c})" for c in counters},
            joins={"cp": (_join(Campaign, "cp", "i.campaign_id"), "campaign_id", "")},
            keys={"email": ("i.send_key", ""), "campaign": ("cp.key", "cp")},
            measures=tuple(f"sum({c})" for c in counters),
        )
    raise ValueError(f"Unknown source {source!r}")


def _local_period_start(kind: str, local: str) -> str:
    """The start of the ``kind`` period of the local timestamp ``local``, in SQL."""
    return f"{local}::date" if kind == "day" else f"date_trunc('{kind}', {local})::date"


def _bucket(kind: str, source: str) -> str:
    """The local period start of a fact, in SQL. ``kind`` is one of kpis.periods.PERIODS (checked by callers)."""
    if source in TIMESTAMP_SOURCES:
        return _local_period_start(kind, f"({TIMESTAMP_SOURCES[source]} AT TIME ZONE %(tz)s)")
    column = DATE_SOURCES[source]
    return column if kind == "day" else f"date_trunc('{kind}', {column}::timestamp)::date"


def _windowed(source: str, table: str) -> str:
    """``table`` restricted to the local-date windows ``[lo, hi)`` given as two date arrays (disjoint),
    by a join whose range condition on the raw column its index serves (one range scan per window)."""
    if source in TIMESTAMP_SOURCES:
        column = TIMESTAMP_SOURCES[source]
        lo, hi = WINDOW_INSTANTS
    else:
        column, lo, hi = DATE_SOURCES[source], "w.lo", "w.hi"
    return (
        f"unnest(%(win_lo)s::date[], %(win_hi)s::date[]) w(lo, hi) JOIN {table} ON {column} >= {lo} AND {column} < {hi}"
    )


def source_sql(source: str, *, kind: str, dimensions: tuple[str | None, ...], windowed: bool) -> str:
    """One query of ``source``: rows ``(start, source, dimension, key, m0…m4)`` for the total
    (``None`` in ``dimensions``) and each listed dimension the source allows (``GROUPING SETS``);
    ``''`` for the total's dimension and key and for a fact without the attribute. Empty when
    nothing applies. Facts after as-of are left out: an instant after ``as_of``, a daily fact dated
    after its local date (docs/kpis.md §1). Parameters: ``tz``, ``as_of``, and with ``windowed`` the
    arrays ``win_lo``/``win_hi``.
    """
    if source in LEAD_SOURCES:
        return _lead_sql((source,), kind=kind, dimensions=dimensions, windowed=windowed)
    if source == METRICS or source.startswith(METRIC_PREFIX):
        return _metric_sql(source, kind=kind, dimensions=dimensions, windowed=windowed)
    shape = _fact_shape(source)
    dims = [d for d in dimensions if d is not None and d in shape.keys]
    grouping = grouping_sets(by=("i.start",), keys={d: shape.keys[d][0] for d in dims}, total=None in dimensions)
    if grouping is None:
        return ""
    aliases: list[str] = []
    for alias in [*shape.always, *(shape.keys[d][1] for d in dims if shape.keys[d][1])]:
        for needed in (shape.joins[alias][2], alias):  # a join first needs the one it goes through
            if needed and needed not in aliases:
                aliases.append(needed)
    raw = list(dict.fromkeys([*(c for d in dims for c in shape.raw[d]), *(shape.joins[a][1] for a in aliases)]))
    facts = _windowed(source, shape.table) if windowed else shape.table
    condition = shape.condition
    if source in DATE_SOURCES:
        condition += f" AND {DATE_SOURCES[source]} <= {AS_OF_DATE}"
    inner = ", ".join(
        [f"{_bucket(kind, source)} AS start"]
        + [f"{shape.columns[c]} AS {c}" for c in raw]
        + [f"{expr} AS {name}" for name, expr in shape.pre.items()]
    )
    grouped = ", ".join(str(i) for i in range(1, len(raw) + 2))
    padded = list(shape.measures) + ["NULL"] * (MEASURE_WIDTH - len(shape.measures))
    columns = ", ".join(
        f"COALESCE({m}, 0)::numeric AS m{i}" if m != "NULL" else f"NULL::numeric AS m{i}" for i, m in enumerate(padded)
    )
    return f"""
        SELECT i.start, '{source}'::text AS source, {grouping.dimension}::text AS dimension,
               {grouping.key}::text AS key, {columns}
        FROM (SELECT {inner} FROM {facts} WHERE {condition} GROUP BY {grouped}) i
        {" ".join(shape.joins[a][0] for a in aliases)}
        {grouping.group_by}"""


def present_days_sql() -> str:
    """Rows ``(source, day)``: the days of daily facts dated after the local date of ``since`` and up
    to that of ``as_of``. A refresh as of ``since`` left them out; as of ``as_of`` they count, with no
    write to mark them (a month's spend typed in advance). Only days holding facts, read on each
    table's date index, so a long gap costs its facts, never a walk over empty days. Parameters
    ``tz``, ``since``, ``as_of``."""
    since = AS_OF_DATE.replace("as_of", "since")
    facts = [(f"'{source}'", _fact_shape(source).table, column) for source, column in DATE_SOURCES.items()]
    # each imported metric is a source of its own (``metric:<name>``)
    facts.append((f"'{METRIC_PREFIX}' || f.metric", f"{quoted_table(MetricValue)} f", "f.date"))
    return " UNION ".join(
        f"SELECT {source}, {column} FROM {table} WHERE {column} > {since} AND {column} <= {AS_OF_DATE}"
        for source, table, column in facts
    )


def measures_sql(*, kind: str, dimensions: tuple[str | None, ...], sources: tuple[str, ...], windowed: bool) -> str:
    """The long measures of several sources (``UNION ALL`` of their queries; the lead sources in one
    scan of the leads), or ``""``."""
    leads = tuple(s for s in sources if s in LEAD_SOURCES)
    parts = [_lead_sql(leads, kind=kind, dimensions=dimensions, windowed=windowed)] if leads else []
    parts += [source_sql(s, kind=kind, dimensions=dimensions, windowed=windowed) for s in sources if s not in leads]
    return " UNION ALL ".join(part for part in parts if part)


def windows_params(windows: list[tuple[date, date]]) -> dict:
    return {"win_lo": [lo for lo, _hi in windows], "win_hi": [hi for _lo, hi in windows]}


def days_to_windows(days: set[date]) -> list[tuple[date, date]]:
    """Contiguous ``[lo, hi)`` windows covering exactly ``days``."""
    windows: list[tuple[date, date]] = []
    for day in sorted(days):
        if windows and windows[-1][1] == day:
            windows[-1] = (windows[-1][0], day + timedelta(days=1))
        else:
            windows.append((day, day + timedelta(days=1)))
    return windows


# --- custom metrics (docs/kpis.md, "Custom KPIs and metrics") -----------------------------------

# Each imported metric is a source of its own, ``metric:<name>``, with one measure named after the
# metric (Σ value in the period, total only: a metric's ``key`` tells its series apart on a day, it
# is no dimension of the product). ``METRICS`` names them all at once (a full refresh).
METRICS = "metric"
METRIC_PREFIX = "metric:"


def metric_source(name: str) -> str:
    return f"{METRIC_PREFIX}{name}"


def source_measures(source: str) -> tuple[str, ...]:
    """The measures of a source, an imported metric's included (its one measure is its name)."""
    if source.startswith(METRIC_PREFIX):
        return (source.removeprefix(METRIC_PREFIX),)
    return SOURCES[source].measures


def source_dimensions(source: str) -> tuple[str, ...]:
    """The breakdowns a source allows (an imported metric: none, its total only)."""
    return () if source.startswith(METRIC_PREFIX) else SOURCES[source].dimensions


def metric_names() -> list[str]:
    """The names of the current client's imported metrics."""
    return sorted(MetricValue.objects.order_by().values_list("metric", flat=True).distinct())


def _metric_sql(source: str, *, kind: str, dimensions: tuple[str | None, ...], windowed: bool) -> str:
    """The day, week, … sums of one imported metric (``metric:<name>``) or of all (``METRICS``), total
    rows only; daily facts, cut at the local date of as-of like the others (docs/kpis.md §1)."""
    if None not in dimensions:
        return ""
    table = f"{quoted_table(MetricValue)} f"
    condition = f"f.date <= {AS_OF_DATE}"
    if source != METRICS:
        name = source.removeprefix(METRIC_PREFIX)
        if not METRIC_NAME.fullmatch(name):  # names are checked on import (campaigns.rules); SQL text below
            raise ValueError(f"Unknown source {source!r}")
        condition += f" AND f.metric = '{name}'"
    if windowed:
        table = (
            f"unnest(%(win_lo)s::date[], %(win_hi)s::date[]) w(lo, hi) JOIN {table} ON f.date >= w.lo AND f.date < w.hi"
        )
    start = "f.date" if kind == "day" else f"date_trunc('{kind}', f.date::timestamp)::date"
    nulls = ", ".join(f"NULL::numeric AS m{i}" for i in range(1, MEASURE_WIDTH))
    return f"""
        SELECT {start} AS start, ('{METRIC_PREFIX}' || f.metric)::text AS source, ''::text AS dimension,
               ''::text AS key, sum(f.value)::numeric AS m0, {nulls}
        FROM {table} WHERE {condition} GROUP BY 1, 2"""
