"""The dashboard API (/c/<slug>/api/v1/dashboard/): every chart of a dashboard state, from the
snapshots, in a fixed number of queries whatever the range. The dashboard page draws from it."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.formatting import Formatter
from dashboards.payload import dashboard_json
from dashboards.selectors import dashboard_data
from dashboards.state import PERIOD_KINDS, StateError, state_from_query
from kpis.selectors import local_today

STATE_PARAMETERS = [
    OpenApiParameter("period", str, enum=[str(kind) for kind in PERIOD_KINDS], description="Default: month."),
    OpenApiParameter(
        "range",
        str,
        enum=["this", "last", "custom"],
        description="this: up to the current period; last: up to the previous one; custom: from/to.",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Custom range: the first period (any day in it)."),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="Custom range: the last period (any day in it). Over several periods the funnel, "
        "paid/organic and breakdown charts show the range's totals.",
    ),
    OpenApiParameter("dimension", str, enum=["channel", "campaign", "offer"], description="Drill down to one key."),
    OpenApiParameter("key", str, description="The key drilled into (empty: the “(none)” row)."),
]


class DashboardApi(APIView):
    """Every chart of the dashboard: labels, datasets (raw numbers, units, anomaly flags), the data
    table as displayed (formatted in the request's language and the client's currency), drill-down
    and CSV links."""

    @extend_schema(parameters=STATE_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        try:
            state = state_from_query(request.query_params)
        except StateError as error:
            raise ValidationError(error.errors) from error
        fmt = Formatter(translation.get_language(), request.tenant.currency)
        data = dashboard_data(state, today=local_today())
        return Response(dashboard_json(data, fmt, base_url=reverse("client-home")))
