"""A dashboard's charts as the browser receives them (the dashboard API); the CSV files are
:mod:`dashboards.csv_export`."""

from __future__ import annotations

from dataclasses import asdict

from django.utils import translation

from dashboards.charts import CHARTS, Chart, table_rows
from dashboards.formatting import Formatter
from dashboards.selectors import DashboardData
from dashboards.state import DashboardState


def chart_build(chart_id: str, data: DashboardData, fmt: Formatter) -> Chart:
    return CHARTS[chart_id](data, translation.get_language(), fmt)


def _chart_json(chart: Chart, fmt: Formatter, state: DashboardState, base_url: str) -> dict:
    header, rows = table_rows(chart, fmt)
    drill_urls = [f"{base_url}?{state.query(dimension=chart.drill_dimension, key=k)}" for k in chart.drill_keys]
    query = state.query()
    return {
        "id": chart.id,
        "title": chart.title,
        "kind": chart.kind,
        "starts": chart.starts,  # a time series: its periods' starts, where the notes are marked
        "step": chart.step,
        "labels": chart.labels,
        "datasets": [asdict(d) for d in chart.datasets],
        "description": chart.description,
        "note": chart.note,
        "lines": chart.lines,
        "empty": chart.is_empty,
        "selected": chart.drill_keys.index(chart.selected) if chart.selected in chart.drill_keys else None,
        "drill": {"dimension": chart.drill_dimension, "urls": drill_urls} if chart.drill_dimension else None,
        "table": {
            "header": header,
            "rows": [{"cells": cells, "href": drill_urls[i] if drill_urls else None} for i, cells in enumerate(rows)],
        },
        "csv": f"{base_url}dashboard/{chart.id}.csv" + (f"?{query}" if query else ""),
    }


def dashboard_json(data: DashboardData, fmt: Formatter, *, base_url: str) -> dict:
    """``base_url``: the client's dashboard URL (``/c/<slug>/``), for drill-down and CSV links."""
    return {
        "as_of": data.as_of.isoformat() if data.as_of else None,
        "period": data.state.period,
        "focus": data.focus.isoformat(),
        "first": data.first.isoformat(),
        # A custom range of several periods: the funnel, paid/organic and breakdown charts show its
        # totals (rates from the summed numerator and denominator), not its last period's.
        "over_range": data.over_range,
        "locale": fmt.locale.replace("_", "-"),
        "currency": fmt.currency,
        "charts": [_chart_json(chart_build(chart_id, data, fmt), fmt, data.state, base_url) for chart_id in CHARTS],
    }


def payload_without_links(payload: dict) -> dict:
    """``payload`` (``dashboard_json``'s) less what leads elsewhere: drill-down and CSV links. A shared
    link's viewer and a sheet of paper cannot follow them."""
    for chart in payload["charts"]:
        chart["drill"] = None
        chart.pop("csv", None)
        for row in chart["table"]["rows"]:
            row["href"] = None
    return payload
