"""What an alert says, in one language: its title and the lines with its numbers, formatted as the
dashboard formats them (``dashboards.formatting.Formatter``: ``1 234,56 €``, ``12,5 %`` in French).
Email, Slack, Teams and the generic webhook all word an alert through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.mail import absolute_url
from alerts.models import Alert, DeliveryEvent
from connectors.models import SourceKind, SourceStatus
from dashboards.formatting import NUMBER, Formatter
from kpis.custom.definitions import kpi_definition, kpi_name
from kpis.registry import DIMENSION_LABELS, Unit
from portfolio.alert_rule_fields import AlertKind, StaleSource


@dataclass(frozen=True)
class Notice:
    title: str
    lines: list[str]
    link: str
    client: str


def alerts_page_path() -> str:
    return f"/c/{connection.tenant.slug}/alerts/"


def client_language() -> str:
    """The language of a notice with no person behind it (a webhook): the client's agency's."""
    agency = getattr(connection.tenant, "agency", None)
    return getattr(agency, "default_language", None) or translation.get_language() or "en"


def _unit(kpi: str) -> str:
    definition = kpi_definition(kpi)
    return definition.unit if definition else Unit.COUNT


def _what(alert: Alert) -> str:
    if alert.kpi:
        name = kpi_name(alert.kpi)
        if not alert.dimension:
            return name
        return f"{name} · {DIMENSION_LABELS.get(alert.dimension, alert.dimension)} {alert.key}".strip()
    source = alert.details.get("source", "")
    if source == StaleSource.CONNECTOR and alert.details.get("platform") in SourceKind.values:
        return str(SourceKind(alert.details["platform"]).label)
    return str(StaleSource(source).label) if source in StaleSource.values else alert.subject


def _period(alert: Alert, fmt: Formatter) -> str:
    details = alert.details
    if details.get("start") and details.get("period_kind"):
        return fmt.period(date.fromisoformat(details["start"]), details["period_kind"])
    return ""


def _title(alert: Alert, event: str, what: str, client: str) -> str:
    if event == DeliveryEvent.RECOVERED:
        return _("Recovered: %(what)s (%(client)s)") % {"what": what, "client": client}
    titles = {
        AlertKind.STATUS_RED: _("Off target: %(what)s (%(client)s)"),
        AlertKind.ANOMALY: _("Anomaly: %(what)s (%(client)s)"),
        AlertKind.PACING: _("Behind pace: %(what)s (%(client)s)"),
        AlertKind.STALE: _("Stale data: %(what)s (%(client)s)"),
    }
    return titles.get(alert.kind, "%(what)s (%(client)s)") % {"what": what, "client": client}


def _lines(alert: Alert, fmt: Formatter) -> list[str]:
    d, lines = alert.details, []
    period = _period(alert, fmt)
    if period:
        lines.append(_("Period: %(period)s") % {"period": period})
    if alert.kind in (AlertKind.STATUS_RED, AlertKind.ANOMALY):
        unit = _unit(alert.kpi)
        lines.append(_("Value: %(value)s") % {"value": fmt.value(d.get("value"), unit)})
        if d.get("target") is not None:
            lines.append(_("Target: %(target)s") % {"target": fmt.value(d.get("target"), unit)})
        if d.get("previous_value") is not None:
            lines.append(_("Previous period: %(value)s") % {"value": fmt.value(d.get("previous_value"), unit)})
            change = fmt.change(d.get("value"), d.get("previous_value"), unit)
            if change:
                lines.append(_("Change: %(change)s") % {"change": change})
        if alert.kind == AlertKind.ANOMALY:
            low, high = fmt.value(d.get("baseline_low"), unit), fmt.value(d.get("baseline_high"), unit)
            lines.append(_("Usual range: %(low)s to %(high)s") % {"low": low, "high": high})
            for text in d.get("explanation") or []:
                lines.append(_("Note: %(text)s") % {"text": text})
    elif alert.kind == AlertKind.PACING:
        # Money in the client's currency ("1 234,56 €" for a spend objective); anything else a plain
        # number, decimals kept (an expected count to date is rarely whole).
        unit = Unit.MONEY if _unit(alert.kpi) == Unit.MONEY else NUMBER
        lines.append(_("Pacing: %(pacing)s") % {"pacing": fmt.value(d.get("pacing"), Unit.RATE)})
        lines.append(
            _("Month to date: %(actual)s of %(expected)s expected")
            % {"actual": fmt.value(d.get("actual"), unit), "expected": fmt.value(d.get("expected"), unit)}
        )
        if d.get("month_target") is not None:
            lines.append(
                _("Projected month end: %(projected)s for a target of %(target)s")
                % {
                    "projected": fmt.value(d.get("projected"), unit),
                    "target": fmt.value(d.get("month_target"), unit),
                }
            )
        lines.append(_("Threshold: %(threshold)s") % {"threshold": fmt.value(d.get("threshold", 0) / 100, Unit.RATE)})
    elif alert.kind == AlertKind.STALE:
        if d.get("source") == StaleSource.IMPORT_FAILED:
            lines.append(_("Import rejected: %(file)s") % {"file": d.get("file") or d.get("import_kind", "")})
        elif d.get("source") == StaleSource.CONNECTOR:
            lines += _connector_lines(d, fmt)
        elif d.get("last"):
            last = fmt.period(date.fromisoformat(d["last"]), "day")
            lines.append(_("Last activity: %(day)s") % {"day": last})
        else:
            lines.append(_("No activity yet."))
        lines.append(_("Days allowed without data: %(days)s") % {"days": fmt.value(d.get("days"), Unit.COUNT)})
    return lines


def _connector_lines(d: dict, fmt: Formatter) -> list[str]:
    """A platform source broken or silent: its status, its last error, its last successful sync."""
    lines = []
    if d.get("status") == SourceStatus.BROKEN:
        lines.append(_("The source is broken: nothing syncs until it is fixed."))
    if d.get("error"):
        lines.append(_("Last error: %(error)s") % {"error": d["error"]})
    if d.get("last"):
        last = fmt.period(date.fromisoformat(d["last"]), "day")
        lines.append(_("Last successful sync: %(day)s") % {"day": last})
    else:
        lines.append(_("No successful sync yet."))
    return lines


def notice_for(alert: Alert, event: str, language: str) -> Notice:
    """The alert worded in ``language`` (its title, its lines with numbers, the link to the page)."""
    client = connection.tenant
    with translation.override(language):
        fmt = Formatter(language=language[:2], currency=getattr(client, "currency", "EUR") or "EUR")
        what = _what(alert)
        return Notice(
            title=_title(alert, event, what, client.name),
            lines=_lines(alert, fmt),
            link=absolute_url(alerts_page_path()),
            client=client.name,
        )
