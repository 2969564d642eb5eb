"""Evaluating the current client's alert rules (its own and its agency's defaults) against its
snapshots and data freshness, after every refresh and by ``manage.py alerts_check`` (docs/alerts.md).

Each kind reads set-based, one query per kind whatever the number of rules:
- ``status_red``: the last complete month's snapshots whose status is red (the month in progress is
  judged by pacing, not against a whole month's target; as the portfolio's pulse does);
- ``anomaly``: anomaly flags of the latest complete day, week and month;
- ``pacing``: the month-to-date pacing of the weekly objectives and their month-end projection;
- ``stale``: the last activity of each source (``kpis.freshness``), and failed imports.

A finding is (rule, subject, period). A new one opens an alert (the unique constraint holds it to
one per rule, subject and period, even once resolved: no storm, no re-firing in the same period) and
queues its notices. An open alert whose condition cleared within the periods evaluated is resolved
and sends a recovery notice; one of a period no longer evaluated (last month's, once a month ended)
is closed quietly. Evaluations of one client are serialised by a transaction-level advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Alert, AlertDelivery, AlertRule, AlertState, DeliveryEvent
from annotations.selectors import annotations_between
from connectors.models import Source, SourceStatus
from kpis.freshness import failed_imports_since, last_activity
from kpis.models import PeriodKind, Snapshot, Status
from kpis.periods import period_floor, period_shift
from kpis.selectors import local_day, pacing_for
from portfolio.alert_rule_fields import AlertKind, StaleSource
from portfolio.models import HEADLINE_KPIS, AgencyAlertRule

ANY_SOURCES = ("leads", "visits", "spend", "email_events")


@dataclass
class RuleInForce:
    ref: str  # "c:<id>" or "a:<id>"
    rule: AlertRule | AgencyAlertRule

    @property
    def is_agency(self) -> bool:
        return self.ref.startswith("a:")


@dataclass
class Finding:
    rule: RuleInForce
    subject: str
    period: str
    kpi: str = ""
    dimension: str = ""
    key: str = ""
    details: dict = field(default_factory=dict)


@dataclass
class Outcome:
    fired: list[Alert] = field(default_factory=list)
    recovered: list[Alert] = field(default_factory=list)
    closed: list[Alert] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def rules_in_force() -> list[RuleInForce]:
    """The client's active rules, then its agency's active defaults (two queries)."""
    rules = [RuleInForce(f"c:{r.pk}", r) for r in AlertRule.objects.filter(active=True).order_by("id")]
    agency_id = getattr(connection.tenant, "agency_id", None)
    if agency_id:
        defaults = AgencyAlertRule.objects.filter(agency_id=agency_id, active=True).order_by("id")
        rules += [RuleInForce(f"a:{r.pk}", r) for r in defaults]
    return rules


def _subject(kpi: str, dimension: str, key: str) -> str:
    return "|".join(part for part in (kpi, dimension, key) if part) if dimension else kpi


def _scope(rule) -> Q:
    """The snapshot rows a KPI rule watches: its KPI (any headline KPI when none), its dimension and
    key (the totals when none; every key of the dimension when only the dimension is set)."""
    scope = Q(kpi=rule.kpi) if rule.kpi else Q(kpi__in=HEADLINE_KPIS)
    scope &= Q(dimension=rule.dimension)
    if rule.dimension and rule.key:
        scope &= Q(key=rule.key)
    return scope


def _matches(rule, row: dict) -> bool:
    if (rule.kpi and row["kpi"] != rule.kpi) or (not rule.kpi and row["kpi"] not in HEADLINE_KPIS):
        return False
    return row["dimension"] == rule.dimension and (not rule.key or row["key"] == rule.key)


def _number(value):
    return None if value is None else float(value)


def _status_red(rules: list[RuleInForce], month: date) -> tuple[list[Finding], set[str]]:
    last_month = period_shift(month, PeriodKind.MONTH, -1)
    period = f"month:{last_month.isoformat()}"
    if not rules:
        return [], {period}
    scope = Q()
    for r in rules:
        scope |= _scope(r.rule)
    fields = ("kpi", "dimension", "key", "value", "target", "previous_value", "change", "start")
    rows = list(
        Snapshot.objects.filter(scope, period=PeriodKind.MONTH, start=last_month, status=Status.RED).values(*fields)
    )
    findings = []
    for r in rules:
        for row in rows:
            if _matches(r.rule, row):
                details = {k: _number(row[k]) for k in ("value", "target", "previous_value", "change")}
                details.update(status=Status.RED, period_kind="month", start=last_month.isoformat())
                findings.append(
                    Finding(
                        r,
                        _subject(row["kpi"], row["dimension"], row["key"]),
                        period,
                        row["kpi"],
                        row["dimension"],
                        row["key"],
                        details,
                    )
                )
    return findings, {period}


def _anomalies(rules: list[RuleInForce], today: date) -> tuple[list[Finding], set[str]]:
    recent = Q()
    periods = set()
    starts = {}
    for kind in (PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH):
        start = period_shift(period_floor(today, kind), kind, -1)
        starts[kind] = start
        recent |= Q(period=kind, start=start)
        periods.add(f"{kind}:{start.isoformat()}")
    if not rules:
        return [], periods
    scope = Q()
    for r in rules:
        scope |= _scope(r.rule)
    fields = ("kpi", "period", "start", "dimension", "key", "value", "previous_value", "change", "anomaly")
    rows = list(
        Snapshot.objects.filter(recent, scope, anomaly__isnull=False).values(
            *fields, "baseline_median", "baseline_low", "baseline_high"
        )
    )
    notes = annotations_between(first=min(starts.values()), last=today) if rows else []
    findings = []
    for r in rules:
        for row in rows:
            if not _matches(r.rule, row):
                continue
            last = period_shift(row["start"], row["period"], 1) - timedelta(days=1)
            explained = [n.text for n in notes if n.start <= last and (n.end or n.start) >= row["start"]][:3]
            details = {
                k: _number(row[k])
                for k in ("value", "previous_value", "change", "baseline_median", "baseline_low", "baseline_high")
            }
            details.update(
                direction=row["anomaly"],
                period_kind=row["period"],
                start=row["start"].isoformat(),
                explanation=explained,
            )
            findings.append(
                Finding(
                    r,
                    _subject(row["kpi"], row["dimension"], row["key"]),
                    f"{row['period']}:{row['start'].isoformat()}",
                    row["kpi"],
                    row["dimension"],
                    row["key"],
                    details,
                )
            )
    return findings, periods


def _pacing(rules: list[RuleInForce], today: date, month: date) -> tuple[list[Finding], set[str]]:
    period = f"month:{month.isoformat()}"
    if not rules:
        return [], {period}
    findings = []
    for paced in pacing_for(as_of_local=today):
        o, pacing, projection = paced.objective, paced.pacing, paced.projection
        if pacing.pacing is None:
            continue
        standing = projection.standing if projection.standing is not None else pacing.pacing
        weakest = min(pacing.pacing, standing)
        row = {"kpi": o.kpi, "dimension": o.dimension, "key": o.key}
        for r in rules:
            rule = r.rule
            if rule.kpi and o.kpi != rule.kpi:
                continue
            if rule.dimension and (o.dimension != rule.dimension or (rule.key and o.key != rule.key)):
                continue
            if not rule.dimension and o.dimension:
                continue
            if weakest * 100 >= rule.threshold:
                continue
            details = {
                "pacing": pacing.pacing,
                "expected": pacing.expected,
                "actual": pacing.actual,
                "projected": projection.projected,
                "month_target": projection.month_target,
                "needed_per_day": projection.needed_per_day,
                "weekly_target": _number(o.target),
                "threshold": rule.threshold,
                "period_kind": "month",
                "start": month.isoformat(),
            }
            findings.append(Finding(r, _subject(**row), period, o.kpi, o.dimension, o.key, details))
    return findings, {period}


def _stale(rules: list[RuleInForce], today: date) -> list[Finding]:
    if not rules:
        return []
    freshness = last_activity()
    longest = max(r.rule.stale_days for r in rules)
    since = timezone.now() - timedelta(days=longest)
    failed = failed_imports_since(since) if any(r.rule.stale_source == StaleSource.IMPORT_FAILED for r in rules) else []
    platforms = _platform_sources() if any(r.rule.stale_source == StaleSource.CONNECTOR for r in rules) else []
    findings = []
    for r in rules:
        rule, source = r.rule, r.rule.stale_source or StaleSource.ANY
        if source == StaleSource.CONNECTOR:
            findings += _connector_findings(r, platforms, today)
            continue
        if source == StaleSource.IMPORT_FAILED:
            limit = timezone.now() - timedelta(days=rule.stale_days)
            for job in failed:
                if job["finished_at"] >= limit:
                    details = {
                        "source": source,
                        "job": job["id"],
                        "import_kind": job["kind"],
                        "file": job["filename"],
                        "at": job["finished_at"].isoformat(),
                        "days": rule.stale_days,
                    }
                    findings.append(Finding(r, f"import:{job['id']}", f"import:{job['id']}", details=details))
            continue
        if source == StaleSource.ANY:
            days = [freshness.last[s] for s in ANY_SOURCES]
            last = max((d for d in days if d is not None), default=None)
        else:
            if not freshness.configured[source]:
                continue
            last = freshness.last[source]
        if last is not None and (today - last).days < rule.stale_days:
            continue
        details = {
            "source": source,
            "last": last.isoformat() if last else None,
            "days": rule.stale_days,
            "silent_days": (today - last).days if last else None,
        }
        findings.append(
            Finding(r, f"stale:{source}", f"since:{last.isoformat() if last else 'never'}", details=details)
        )
    return findings


def _platform_sources() -> list[Source]:
    """The current client's platform sources (public table; one query)."""
    return list(Source.objects.filter(client_id=connection.tenant.pk).order_by("kind"))


def _connector_findings(r: RuleInForce, sources: list[Source], today: date) -> list[Finding]:
    """A platform source that is broken, or without a successful sync for the rule's days (counted
    from its choice when it never succeeded), is stale: one alert per platform, naming its error.
    It resolves when the source syncs again."""
    findings = []
    for source in sources:
        last = local_day(source.last_success_at) if source.last_success_at else None
        silent = (today - (last or local_day(source.created_at))).days >= r.rule.stale_days
        if source.status != SourceStatus.BROKEN and not silent:
            continue
        details = {
            "source": StaleSource.CONNECTOR.value,
            "platform": source.kind,
            "status": source.status,
            "error": source.last_error,
            "last": last.isoformat() if last else None,
            "days": r.rule.stale_days,
            "silent_days": (today - last).days if last else None,
        }
        period = f"since:{last.isoformat() if last else 'never'}"
        findings.append(Finding(r, f"stale:connector:{source.kind}", period, details=details))
    return findings


def _stale_continues(findings: list[Finding]) -> None:
    """A silence that goes on is the alert already open for it, whatever its last day says now: data
    that comes in late (yesterday's spend imported four days on, old leads imported) moves the last
    day without ending the silence, and would otherwise resolve the open alert and fire a new one
    every day. One query."""
    stale = [f for f in findings if f.rule.rule.kind == AlertKind.STALE and f.period.startswith("since:")]
    if not stale:
        return
    rows = Alert.objects.filter(
        state=AlertState.OPEN,
        kind=AlertKind.STALE,
        rule_ref__in={f.rule.ref for f in stale},
        subject__in={f.subject for f in stale},
        period__startswith="since:",
    ).values_list("rule_ref", "subject", "period")
    open_periods = {(ref, subject): period for ref, subject, period in rows}
    for finding in stale:
        finding.period = open_periods.get((finding.rule.ref, finding.subject), finding.period)


def _still_watched(rule, alert: Alert) -> bool:
    """Whether ``rule`` as it is now still watches what ``alert`` is about. A rule changed since
    (another kind, KPI, dimension or source) did not see its old subject recover: that alert is
    closed quietly, not announced as recovered. A failed import is an event, not a condition: its
    alert ends quietly once out of the rule's window."""
    if rule.kind != alert.kind:
        return False
    if alert.kind == AlertKind.STALE:
        source = alert.details.get("source")
        return source != StaleSource.IMPORT_FAILED and source == (rule.stale_source or StaleSource.ANY)
    if alert.kind == AlertKind.PACING:  # any objective's KPI, not only the headline ones (_pacing)
        if rule.kpi and alert.kpi != rule.kpi:
            return False
        return alert.dimension == rule.dimension and (not rule.key or alert.key == rule.key)
    return _matches(rule, {"kpi": alert.kpi, "dimension": alert.dimension, "key": alert.key})


def _channels_of(rule) -> list[dict]:
    return list(rule.channels or [])


def _channel_id(channel: dict) -> tuple:
    return (channel.get("type"), channel.get("to") or channel.get("url"))


def _notified(new: list[Alert]) -> set[tuple]:
    """(kind, subject, period, event, channel) already notified by another rule's alert: one query."""
    if not new:
        return set()
    rows = AlertDelivery.objects.filter(
        event=DeliveryEvent.FIRED,
        alert__kind__in={a.kind for a in new},
        alert__subject__in={a.subject for a in new},
        alert__period__in={a.period for a in new},
    ).values_list("alert__kind", "alert__subject", "alert__period", "channel")
    return {(kind, subject, period, DeliveryEvent.FIRED, _channel_id(c)) for kind, subject, period, c in rows}


def _first_notice(notified: set[tuple], alert: Alert, event: str, channel: dict) -> bool:
    key = (alert.kind, alert.subject, alert.period, event, _channel_id(channel))
    if key in notified:
        return False
    notified.add(key)
    return True


def alerts_evaluate(*, now: datetime | None = None) -> Outcome:
    """Evaluate every rule in force for the current client; open, resolve and close alerts and
    create their deliveries (whose tasks are sent once the transaction commits)."""
    from alerts.deliveries import deliveries_send_on_commit

    now = now or timezone.now()
    today = local_day(now)
    month = period_floor(today, PeriodKind.MONTH)
    outcome = Outcome()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"alerts:{connection.schema_name}"])
        rules = rules_in_force()
        by_kind: dict[str, list[RuleInForce]] = {k: [] for k in AlertKind.values}
        for r in rules:
            by_kind[r.rule.kind].append(r)
        findings: list[Finding] = []
        evaluated: dict[str, set[str]] = {}
        found, evaluated[AlertKind.STATUS_RED] = _status_red(by_kind[AlertKind.STATUS_RED], month)
        findings += found
        found, evaluated[AlertKind.ANOMALY] = _anomalies(by_kind[AlertKind.ANOMALY], today)
        findings += found
        found, evaluated[AlertKind.PACING] = _pacing(by_kind[AlertKind.PACING], today, month)
        findings += found
        findings += _stale(by_kind[AlertKind.STALE], today)

        refs = {r.ref: r for r in rules}
        _stale_continues(findings)
        wanted = {(f.rule.ref, f.subject, f.period): f for f in findings}
        known = (
            set(
                Alert.objects.filter(rule_ref__in=refs, subject__in={f.subject for f in findings})
                .filter(period__in={f.period for f in findings})
                .values_list("rule_ref", "subject", "period")
            )
            if findings
            else set()
        )
        new = [
            Alert(
                rule=f.rule.rule if not f.rule.is_agency else None,
                agency_rule_id=f.rule.rule.pk if f.rule.is_agency else None,
                rule_ref=f.rule.ref,
                kind=f.rule.rule.kind,
                subject=f.subject,
                kpi=f.kpi,
                dimension=f.dimension,
                key=f.key,
                period=f.period,
                opened_at=now,
                details=f.details,
            )
            for k, f in wanted.items()
            if k not in known
        ]
        Alert.objects.bulk_create(new)
        outcome.fired = new
        deliveries = []
        # A client's rule and its agency's default (or two rules) that find the same thing notify
        # each channel once: both alerts open, one notice per channel, even across evaluations.
        notified = _notified(new)
        for alert in new:
            rule = refs[alert.rule_ref].rule
            for i, c in enumerate(_channels_of(rule)):
                if _first_notice(notified, alert, DeliveryEvent.FIRED, c):
                    deliveries.append(AlertDelivery(alert=alert, channel_index=i, channel=c, event=DeliveryEvent.FIRED))

        for alert in Alert.objects.filter(state=AlertState.OPEN).select_for_update():
            if (alert.rule_ref, alert.subject, alert.period) in wanted:
                continue
            rule = refs.get(alert.rule_ref)
            in_scope = (
                rule is not None
                and _still_watched(rule.rule, alert)
                and (alert.kind == AlertKind.STALE or alert.period in evaluated.get(alert.kind, set()))
            )
            alert.state, alert.resolved_at = AlertState.RESOLVED, now
            if in_scope:
                outcome.recovered.append(alert)
                deliveries += [
                    AlertDelivery(alert=alert, channel_index=i, channel=c, event=DeliveryEvent.RECOVERED)
                    for i, c in enumerate(_channels_of(rule.rule))
                    if _first_notice(notified, alert, DeliveryEvent.RECOVERED, c)
                ]
            else:  # its period ended or its rule went: nothing to announce
                alert.details = {**alert.details, "closed": True}
                outcome.closed.append(alert)
        Alert.objects.bulk_update([*outcome.recovered, *outcome.closed], ["state", "resolved_at", "details"])
        AlertDelivery.objects.bulk_create(deliveries)
        outcome.deliveries = [d.pk for d in deliveries]
        deliveries_send_on_commit(outcome.deliveries)
    return outcome
