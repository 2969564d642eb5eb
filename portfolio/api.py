"""The agency portfolio API (public schema, /api/v1/portfolio/): the clients the signed-in user
may see, a page at a time, with its headline KPIs, from the copies each refresh publishes (never across schemas)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.selectors import (
    MAX_PAGE_SIZE,
    MAX_SEARCH,
    PAGE_SIZE,
    SORTS,
    PortfolioRow,
    clients_page,
    headline_choice_for,
    portfolio_clients,
    portfolio_for,
)
from tenants.access import visibility_for
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
        "sources": [{"kind": h.kind, "status": h.status, "last_success_at": h.last_success_at} for h in row.sources],
    }


class PortfolioQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, default=1, min_value=1)
    page_size = serializers.IntegerField(required=False, default=PAGE_SIZE, min_value=1, max_value=MAX_PAGE_SIZE)
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="attention")
    attention = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=MAX_SEARCH)


class PortfolioPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("The clients matching the filters, on every page."))
    next = serializers.CharField(allow_null=True, help_text=_("The next page's address (null on the last page)."))
    previous = serializers.CharField(allow_null=True, help_text=_("The previous page's address (null on the first)."))
    results = PortfolioRowSerializer(many=True)


class PortfolioApi(APIView):
    """Headline KPIs of the client accounts you may see, worst first, a page at a time: those its
    agency chose for the portfolio (default: leads, cost per lead, lead-to-customer rate, MQLs),
    month-to-date pacing and month-end projection. Paged by number (``page``, ``page_size``; the
    reasons in ``portfolio.selectors``): ``count``, ``next``, ``previous``, ``results``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("attention", bool, description="Only clients with a red status or an anomaly."),
            OpenApiParameter("sort", str, enum=SORTS, description="attention: worst first (default); name."),
            OpenApiParameter("q", str, description="Part of the client's name or slug."),
            OpenApiParameter("page", int, description="From 1."),
            OpenApiParameter("page_size", int, description=f"{PAGE_SIZE} by default, at most {MAX_PAGE_SIZE}."),
        ],
        responses=PortfolioPageSerializer,
    )
    def get(self, request):
        query = PortfolioQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        visibility = visibility_for(request.user)
        clients = portfolio_clients(
            visibility, sort=params["sort"], attention_only=params["attention"], q=params["q"].strip()
        )
        page = clients_page(clients, params["page_size"], params["page"])  # the page and the count, one query
        if page is None:  # an empty page past the first: counted to say so
            paginator = Paginator(clients, params["page_size"])
            if params["page"] > paginator.num_pages:  # a page past the end: 404, as every paged API (num_pages ≥ 1)
                raise NotFound(_("There is no page %(page)s.") % {"page": params["page"]})
            page = paginator.page(params["page"])
        paginator = page.paginator
        headlines = headline_choice_for(visibility, shown=page.object_list).kpis
        accesses = [visibility.access(client) for client in page.object_list]
        rows = portfolio_for(request.user, accesses=accesses, sort=None, kpis=headlines)

        def link(number: int) -> str:
            query_string = urlencode({**request.query_params.dict(), "page": number})
            return request.build_absolute_uri(f"{request.path}?{query_string}")

        return Response(
            {
                "count": paginator.count,
                "next": link(page.next_page_number()) if page.has_next() else None,
                "previous": link(page.previous_page_number()) if page.has_previous() else None,
                "results": [portfolio_row(row, headlines) for row in rows],
            }
        )
