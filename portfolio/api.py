"""The agency portfolio API (public schema, /api/v1/portfolio/): every client the signed-in user
may see, with its headline KPIs, from the copies each refresh publishes (never across schemas)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.selectors import PortfolioRow, headline_choice, portfolio_for
from tenants.access import clients_visible_to
from tenants.urlconfs import client_url


class HeadlineSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True,
        help_text=_("The value of the month reported (the row's month), as the portfolio page shows it."),
    )
    previous_value = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    anomaly = serializers.CharField(allow_null=True)
    months = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text=_("The last 13 months, oldest first, the month in progress last (sparkline)."),
    )


class SourceHealthSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("ga4, search_console, google_ads or meta_ads."))
    status = serializers.CharField(help_text=_("pending, ok, failing or broken."))
    last_success_at = serializers.DateTimeField(allow_null=True)


class PortfolioRowSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    url = serializers.CharField()
    role = serializers.CharField()
    as_of = serializers.DateTimeField(allow_null=True)
    month = serializers.DateField(
        allow_null=True,
        help_text=_(
            "The first day of the month the headline values report: the last complete month, the one the "
            "portfolio page shows (null before the first refresh)."
        ),
    )
    needs_attention = serializers.BooleanField()
    red = serializers.IntegerField()
    anomalies = serializers.IntegerField()
    pacing = serializers.FloatField(allow_null=True)
    pacing_status = serializers.CharField(allow_null=True)
    projection = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "This month's weakest month-end projection of a weekly objective: projected value ÷ month target; "
            "below 1, that objective will miss the month at its current pace."
        ),
    )
    projection_status = serializers.CharField(allow_null=True, help_text=_("The status of that projection."))
    projection_kpi = serializers.CharField(allow_null=True, help_text=_("The KPI of that objective."))
    projected = serializers.FloatField(
        allow_null=True, help_text=_("That objective's month-to-date run rate carried to the month's end.")
    )
    month_target = serializers.FloatField(allow_null=True, help_text=_("Its weekly target × days in the month ÷ 7."))
    needed_per_day = serializers.FloatField(
        allow_null=True,
        help_text=_("What each remaining day needs to reach that month target (null on the month's last day)."),
    )
    misses = serializers.IntegerField(help_text=_("Weekly objectives projected to miss their month target."))
    kpis = serializers.DictField(
        child=HeadlineSerializer(),
        help_text=_(
            "The headline KPIs the agency chose for its portfolio (Pouls' default: leads, cost per lead, "
            "lead-to-customer rate, MQLs), by key, in the order of its columns."
        ),
    )
    sources = SourceHealthSerializer(many=True, help_text=_("The client's platform sources and their health."))


def portfolio_row(row: PortfolioRow, headlines: tuple[str, ...]) -> dict:
    client, pulse = row.access.client, row.pulse
    kpis = {}
    for kpi in headlines:
        months = row.headlines.get(kpi, [])
        latest = row.reported(kpi)  # the page's month, not the one in progress
        kpis[kpi] = {
            "value": latest and latest.value,
            "previous_value": latest and latest.previous_value,
            "change": latest and latest.change,
            "target": latest and latest.target,
            "status": latest and latest.status,
            "anomaly": latest and latest.anomaly,
            "months": [m.value for m in months],
        }
    return {
        "slug": client.slug,
        "name": client.name,
        "currency": client.currency,
        "url": client_url(client, "client-home"),
        "role": row.access.role,
        "as_of": pulse and pulse.as_of,
        "month": row.reported_month,
        "needs_attention": row.needs_attention,
        "red": pulse.red if pulse else 0,
        "anomalies": pulse.anomalies if pulse else 0,
        "pacing": pulse and pulse.pacing,
        "pacing_status": pulse and pulse.pacing_status,
        "projection": pulse and pulse.projection,
        "projection_status": pulse and pulse.projection_status,
        "projection_kpi": (pulse and pulse.projection_kpi) or None,
        "projected": pulse and pulse.projected,
        "month_target": pulse and pulse.month_target,
        "needed_per_day": pulse and pulse.needed_per_day,
        "misses": pulse.misses if pulse else 0,
        "kpis": kpis,
        "sources": [
            {"kind": h.kind, "status": h.status, "last_success_at": h.last_success_at} for h in row.sources
        ],
    }


class PortfolioApi(APIView):
    """Headline KPIs of every client account you may see, worst first: those its agency chose for
    the portfolio (default: leads, cost per lead, lead-to-customer rate, MQLs), month-to-date pacing
    and month-end projection."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("attention", bool, description="Only clients with a red status or an anomaly.")],
        responses=PortfolioRowSerializer(many=True),
    )
    def get(self, request):
        attention = request.query_params.get("attention", "").lower() in ("1", "true", "yes")
        accesses = clients_visible_to(request.user)
        headlines = headline_choice(accesses).kpis
        rows = portfolio_for(request.user, attention_only=attention, accesses=accesses, kpis=headlines)
        return Response([portfolio_row(row, headlines) for row in rows])
