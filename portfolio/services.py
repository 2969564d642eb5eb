"""Publishing a client's headline KPIs to the public schema (called at the end of each refresh), and
an agency's choice of the headline KPIs its portfolio shows."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from config.errors import DomainError
from kpis.models import PeriodKind, Snapshot, Status
from kpis.periods import period_floor, period_shift
from kpis.selectors import pacing_for
from portfolio.models import HEADLINE_CANDIDATES, HEADLINE_KPIS, HEADLINE_MONTHS, MAX_HEADLINES, Headline, Pulse
from tenants.models import Agency
from tenants.zones import client_zone

HEADLINE_FIELDS = ("kpi", "start", "value", "previous_value", "change", "target", "status", "anomaly", "is_partial")


def headline_publish(*, as_of: datetime, full_refresh: bool) -> Pulse:
    """Copy the current client's month totals of the last 13 months of every KPI an agency may choose
    as a headline (so that switching columns needs no refresh), its pacing, its weakest month-end
    projection and what needs attention into the public schema (in the refresh's transaction: both
    land or neither)."""
    client = connection.tenant
    local = as_of.astimezone(client_zone(client)).date()
    month = period_floor(local, PeriodKind.MONTH)
    rows = Snapshot.objects.filter(
        period=PeriodKind.MONTH,
        dimension="",
        kpi__in=HEADLINE_CANDIDATES,
        start__range=(period_shift(month, PeriodKind.MONTH, 1 - HEADLINE_MONTHS), month),
    ).values(*HEADLINE_FIELDS)
    Headline.objects.filter(client=client).delete()
    Headline.objects.bulk_create([Headline(client=client, **row) for row in rows])

    paced = [p for p in pacing_for(as_of_local=local) if p.pacing.pacing is not None]
    pacings = [p.pacing for p in paced]
    weakest = min(pacings, key=lambda p: p.pacing, default=None)
    # The month-end projection furthest short of its month target (docs/kpis.md §5): what the agency
    # reads on the 10th to see who will miss the month, in the month's own numbers.
    # Judged as its status is (projection.standing: target ÷ projected when fewer is better).
    short = min(paced, key=lambda p: p.projection.standing, default=None)
    # "Recent": the latest complete day, week and month; on the default headline totals (every
    # breakdown row of every KPI would flag nearly every client: 5 % of steady series trip the robust
    # z-score by chance, and a client has hundreds). Attention watches Pouls' default set, not the
    # columns an agency chose: a pulse is computed at refresh time for every portfolio that lists the
    # client (its agency's, a superuser's), so following a choice would make "needs attention" go
    # stale until the next refresh after each switch, and which clients need attention would hang on
    # a display preference. Fifteen headline series instead of four would also flag more clients by
    # chance alone (the 5 % above).
    recent = Q()
    for kind in (PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH):
        recent |= Q(period=kind, start=period_shift(period_floor(local, kind), kind, -1))
    headline = Q(dimension="", kpi__in=HEADLINE_KPIS)
    anomalies = Snapshot.objects.filter(recent, headline, anomaly__isnull=False).count()
    # Red: the last complete month against its targets, and this month's pacing. The month in
    # progress is not judged against a whole month's target (on the 2nd, everything would be red).
    last_month = period_shift(month, PeriodKind.MONTH, -1)
    red = sum(
        1 for row in rows if row["kpi"] in HEADLINE_KPIS and row["start"] == last_month and row["status"] == Status.RED
    )
    red += sum(1 for p in pacings if p.status == Status.RED)
    # A red projection needs attention too, and is counted already: projected ÷ month target is the
    # pacing itself (actual × N ÷ d ÷ (T × N ÷ 7)), so a red projection is that red pacing; adding it
    # again would make one objective two reds.
    defaults = {
        "as_of": as_of,
        "pacing": None if weakest is None else weakest.pacing,
        "pacing_status": None if weakest is None else weakest.status,
        "projection": None if short is None else short.projection.ratio,
        "projection_status": None if short is None else short.projection.status,
        "projection_kpi": "" if short is None else short.objective.kpi,
        "projected": None if short is None else short.projection.projected,
        "month_target": None if short is None else short.projection.month_target,
        "needed_per_day": None if short is None else short.projection.needed_per_day,
        "misses": sum(1 for p in paced if p.projection.standing < 1),
        "objectives": len(pacings),
        "red": red,
        "anomalies": anomalies,
    }
    if full_refresh:
        defaults["last_full_at"] = as_of
    pulse, _ = Pulse.objects.update_or_create(client=client, defaults=defaults)
    return pulse


def headline_choice_checked(kpis: list[str]) -> list[str]:
    """The headline KPIs an agency may choose: 1 to ``MAX_HEADLINES`` distinct candidates, in order
    (the portfolio page's form and any other caller share this rule)."""
    kpis = [k for k in kpis if k]
    unknown = [k for k in kpis if k not in HEADLINE_CANDIDATES]
    if unknown:
        raise DomainError(_("Not a headline KPI: %(kpis)s.") % {"kpis": ", ".join(unknown)}, field="kpis")
    if not kpis:
        raise DomainError(_("Choose at least one headline KPI."), field="kpis")
    if len(set(kpis)) != len(kpis):
        raise DomainError(_("A headline KPI is chosen twice."), field="kpis")
    if len(kpis) > MAX_HEADLINES:
        raise DomainError(_("Choose at most %(count)d headline KPIs.") % {"count": MAX_HEADLINES}, field="kpis")
    return kpis


def headline_choice_save(*, agency: Agency, kpis: list[str] | None) -> Agency:
    """Set the columns of ``agency``'s portfolio (``None``: back to Pouls' default). Who may do it is
    ``portfolio.selectors.HeadlineChoice.can_change``; the values are published already, so every
    portfolio shows the new columns at its next page."""
    agency.headline_kpis = [] if kpis is None else headline_choice_checked(list(kpis))
    agency.save(update_fields=["headline_kpis"])
    return agency
