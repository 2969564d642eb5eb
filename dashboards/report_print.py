"""A client report's print view: the dashboard of one complete week or month, laid out for A4, as one
self-contained HTML document (its CSS, Chart.js, ``dashboard.js``, the chart data and the logo are all
inline) so that a worker's chromium prints it from a file with no server and no network
(:mod:`dashboards.pdf`), and a team member's browser shows the very same document
(``report_print_views``).

It is built from the dashboard's own parts: the cards of ``dashboards.cards``, the charts' payload of
``dashboards.payload`` drawn by ``static/pouls/dashboard.js``, the notes of ``dashboards.notes``. The
state is the dashboard's "this period" on the period's last day, so the cards, the charts over time
(the periods up to it) and the month-to-date pacing (as of that day) are what the screen showed then:
the PDF's numbers cannot drift from the screen's.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from babel.dates import format_date
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from config.dates import date_refusal
from dashboards import services
from dashboards.cards import card_sections
from dashboards.charts import CHART_TITLES, TABLE_CHARTS
from dashboards.formatting import Formatter
from dashboards.models import Branding
from dashboards.notes import note_markers, note_rows
from dashboards.payload import dashboard_json, payload_without_links
from dashboards.report_sections import DEFAULT_REPORT_SECTIONS, report_sections_checked
from dashboards.selectors import dashboard_data
from dashboards.state import DashboardState
from kpis.models import PeriodKind
from kpis.periods import period_shift
from tenants.zones import client_zone

MAX_REPORT_DAYS = 31
OBJECTIVES_CHART = "pacing"  # the "objectives" section's chart; the others make the "charts" section
ASSETS = {
    "chart_js": "vendor/chart.js/chart.umd.min.js",
    "print_js": "dashboards/report-print.js",
    "dashboard_js": "pouls/dashboard.js",
    "app_css": "pouls/app.css",
    "report_css": "dashboards/report-print.css",
}


def _languages() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def report_period_kind(period_start: date, period_end: date) -> str:
    """``week`` (Monday to Sunday) or ``month`` (the 1st to the month's last day): the periods the
    dashboard's cards and objectives are computed for; ``ValidationError`` on any other span, or on a
    date outside the bounds every fact has (``config.dates``)."""
    for name, day in (("start", period_start), ("end", period_end)):
        refusal = date_refusal(day)
        if refusal:
            raise ValidationError({name: [refusal]})
    if period_end < period_start:
        raise ValidationError({"end": [_("The end comes before the start.")]})
    if (period_end - period_start).days + 1 > MAX_REPORT_DAYS:
        raise ValidationError({"end": [_("A report covers at most %(days)d days.") % {"days": MAX_REPORT_DAYS}]})
    if period_start.weekday() == 0 and period_end == period_start + timedelta(days=6):
        return PeriodKind.WEEK
    if period_start.day == 1 and period_end == period_shift(period_start, PeriodKind.MONTH, 1) - timedelta(days=1):
        return PeriodKind.MONTH
    raise ValidationError({"end": [_("A report covers a whole week (Monday to Sunday) or a whole calendar month.")]})


def _day(raw: str | None, name: str, errors: dict) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        errors[name] = [_("This field is required.")]
        return None
    try:
        if len(raw) != 10:  # fromisoformat also reads 20260301 and week dates: the page says YYYY-MM-DD
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def report_query_checked(params) -> dict:
    """The print page's query (``start``, ``end``, ``lang``, ``sections``: comma-separated, default
    all) as :func:`report_html`'s arguments; ``ValidationError`` with an error per field."""
    errors: dict[str, list[str]] = {}
    start, end = _day(params.get("start"), "start", errors), _day(params.get("end"), "end", errors)
    language = (params.get("lang") or "").strip() or (translation.get_language() or "fr").split("-")[0]
    if language not in _languages():
        errors["lang"] = [_("Choose among: %(choices)s.") % {"choices": ", ".join(_languages())}]
    raw_sections = params.get("sections")
    sections: list[str] = []
    if raw_sections is not None and len(raw_sections) > 200:  # five short keys: anything longer is not a list of them
        errors["sections"] = [_("Too long.")]
    elif raw_sections is not None:
        try:
            sections = report_sections_checked([key.strip() for key in raw_sections.split(",") if key.strip()])
        except ValidationError as error:
            errors["sections"] = error.messages
    else:
        sections = list(DEFAULT_REPORT_SECTIONS)
    if start and end and not errors.keys() & {"start", "end"}:
        try:
            report_period_kind(start, end)
        except ValidationError as error:
            errors |= error.message_dict
    if errors:
        raise ValidationError(errors)
    return {"period_start": start, "period_end": end, "language": language, "sections": sections}


@cache
def _asset(path: str) -> str:
    """A static file's text (read once per process: static files change with a deploy only)."""
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"Static file {path} not found (is node_modules installed?)")
    with open(found, encoding="utf-8") as handle:
        text = handle.read()
    # Inline, a "</script" or "</style" inside would end the element early.
    return text.replace("</script", "<\\/script").replace("</style", "<\\/style")


def _logo_uri(row: dict | None) -> str | None:
    if not row or not row.get("logo"):
        return None
    return f"data:{row['logo_type']};base64,{base64.b64encode(bytes(row['logo'])).decode('ascii')}"


def _printable(payload: dict, chart_ids: list[str]) -> dict:
    """The payload of the printed charts only, without the links a sheet of paper cannot follow."""
    payload["charts"] = [chart for chart in payload["charts"] if chart["id"] in chart_ids]
    return payload_without_links(payload)


def _period_words(fmt: Formatter, start: date, end: date) -> str:
    """``1 mars 2026 – 31 mars 2026``: day first, as both languages write a date in full."""
    return f"{format_date(start, 'd MMMM y', locale=fmt.locale)} – {format_date(end, 'd MMMM y', locale=fmt.locale)}"


@dataclass(frozen=True)
class ReportPage:
    html: str
    policy: str  # the page's Content-Security-Policy: its inline scripts and style by their hashes


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string (a client's name in the page footer)."""
    escaped = "".join(c if c.isalnum() or c in " ·-_.,'&()" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _policy_directives(scripts: list[str], style: str) -> tuple[str, ...]:
    """The page's Content-Security-Policy: its own inline scripts and style by hash, images from
    ``data:`` (the logo), nothing from anywhere else."""
    return (
        "default-src 'none'",
        "script-src " + " ".join(_hash(s) for s in scripts),
        "style-src " + _hash(style),
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )


def report_page(*, period_start: date, period_end: date, language: str, sections: list[str]) -> ReportPage:
    """The print view of the current client (``connection.tenant``) for the period, and the policy
    its browser page is served with."""
    kind = report_period_kind(period_start, period_end)
    sections = report_sections_checked(sections)
    if language not in _languages():
        raise ValidationError({"lang": [_("Choose among: %(choices)s.") % {"choices": ", ".join(_languages())}]})
    client = connection.tenant
    with translation.override(language), timezone.override(client_zone(client)):
        fmt = Formatter(language, client.currency)
        state = DashboardState(period=kind, range="this")
        data = dashboard_data(state, today=period_end, charts=True, notes="annotations" in sections)
        pinned, _source = services.pinned_for(AnonymousUser())  # the client's default cards
        cards = card_sections(data, fmt, language, pinned if "pinned" in sections else [])
        # The objectives section lists every card with a target for the period, as the cards say it.
        objectives = [card for section in cards for card in section.cards if card.target is not None]
        if "families" not in sections:
            cards = [section for section in cards if section.id == "pinned"]
        if "pinned" not in sections and "families" not in sections:
            cards = []
        chart_ids = [c for c in CHART_TITLES if c != OBJECTIVES_CHART] if "charts" in sections else []
        if "objectives" in sections:
            chart_ids.append(OBJECTIVES_CHART)
        payload = _printable(dashboard_json(data, fmt, base_url=""), chart_ids)
        notes = [
            n for n in note_rows(data, fmt, authors=False) if n["start"] <= period_end and n["end"] >= period_start
        ]
        branding = Branding.objects.filter(client_id=client.pk).values("color", "logo", "logo_type").first() or {}
        brand_css = f":root{{--brand:{branding['color']};}}" if branding.get("color") else ""
        footer = f"@page{{@bottom-left{{content:{_css_string(client.name + ' · ' + fmt.period(period_start, kind))}}}}}"
        style = "\n".join((_asset(ASSETS["app_css"]), _asset(ASSETS["report_css"]), brand_css, footer))
        scripts = [_asset(ASSETS[name]) for name in ("chart_js", "print_js", "dashboard_js")]
        agency = client.agency.name if client.agency_id else ""
        directives = _policy_directives(scripts, style)
        context = {
            "language": language,
            "client_name": client.name,
            "agency_name": agency,
            "logo_uri": _logo_uri(branding),
            "is_branded": bool(branding.get("color")),
            "period_label": capfirst(fmt.period(period_start, kind)),
            "period_words": _period_words(fmt, period_start, period_end),
            "previous_label": fmt.period(period_shift(period_start, kind, -1), kind),
            "first_label": fmt.period(data.first, kind),
            "report_title": _("Monthly report") if kind == PeriodKind.MONTH else _("Weekly report"),
            "as_of": data.as_of,
            "sections": sections,
            "card_sections": cards,
            "charts": [
                {"id": c, "title": CHART_TITLES[c], "is_table": c in TABLE_CHARTS}
                for c in chart_ids
                if c != OBJECTIVES_CHART
            ],
            "objectives_chart": {"id": OBJECTIVES_CHART, "title": CHART_TITLES[OBJECTIVES_CHART]}
            if "objectives" in sections
            else None,
            "has_pacing": bool(data.pacing),
            "objectives": objectives if "objectives" in sections else [],
            "notes": notes,
            "note_markers": note_markers(data, fmt) if "annotations" in sections else [],
            "payload": payload,
            "locale": fmt.locale.replace("_", "-"),
            "currency": client.currency,
            # Chromium prints the page from a file, without the HTTP header: the same policy as a meta
            # element, so that nothing in it (an injection's image or script) can make the worker's
            # browser reach the network (frame-ancestors has no effect in a meta: left to the header).
            "policy": "; ".join(p for p in directives if not p.startswith("frame-ancestors")),
            "style": mark_safe(style),  # noqa: S308 - our own static files, "</style" escaped
            "scripts": [mark_safe(s) for s in scripts],  # noqa: S308 - our own static files, "</script" escaped
        }
        html = render_to_string("dashboards/report_print.html", context)
    return ReportPage(html=html, policy="; ".join(directives))


def report_html(*, period_start: date, period_end: date, language: str, sections: list[str]) -> str:
    """The print view of the current client (``connection.tenant``) for one complete week or month,
    in ``language``, with ``sections`` (``dashboards.report_sections``): a self-contained HTML page."""
    return report_page(period_start=period_start, period_end=period_end, language=language, sections=sections).html
