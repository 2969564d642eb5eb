"""KPI REST API (/c/<slug>/api/v1/kpis/…): snapshots, definitions, pacing, anomalies, refresh
requests, objectives and settings. Reads come from the snapshots only, one query per request
whatever the range; writes go through ``kpis.services``."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.selectors import annotation_brief, annotation_explaining, annotations_between
from kpis import selectors, services
from kpis.custom.definitions import kpi_list
from kpis.models import Objective, PeriodKind
from kpis.periods import period_floor, period_shift
from kpis.serializers import (
    AnomalyPageSerializer,
    AnomalyQuerySerializer,
    DefinitionOutputSerializer,
    KPISettingsSerializer,
    ObjectiveSerializer,
    PacingOutputSerializer,
    PacingQuerySerializer,
    RefreshInputSerializer,
    RefreshOutputSerializer,
    SnapshotPageSerializer,
    SnapshotQuerySerializer,
)
from tenants.permissions import ClientManagerPermission

DEFAULT_PERIODS = 12
LIST_PARAMETERS = [
    OpenApiParameter("period", str, enum=PeriodKind.values, description="Default: month."),
    OpenApiParameter(
        "kpi",
        {"type": "array", "items": {"type": "string"}},
        explode=True,
        description="KPI keys (repeat the parameter); default: every KPI.",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First period start (default: 12 periods ago)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last period start (default: the current period)."),
    OpenApiParameter(
        "dimension", str, description="channel, campaign, offer, landing_page, keyword, cta or email; default: totals."
    ),
    OpenApiParameter(
        "key",
        {"type": "array", "items": {"type": "string"}},
        explode=True,
        description="Keys of the dimension (repeat; an empty value is the “(none)” row).",
    ),
    OpenApiParameter("limit", int, description="Rows per page (default 2000, at most 10000)."),
    OpenApiParameter("offset", int, description="Rows to skip."),
]


def _query(request, serializer_class) -> dict:
    """Query parameters, validated (lists repeat their parameter; ``from``/``to`` are Python words)."""
    params = request.query_params
    data = {name: params[name] for name in ("period", "dimension", "limit", "offset") if name in params}
    data |= {name: params.getlist(name) for name in ("kpi", "key") if name in params}
    data |= {target: params[name] for name, target in (("from", "date_from"), ("to", "date_to")) if name in params}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    period = values["period"]
    current = period_floor(selectors.local_today(), period)
    values.setdefault("date_to", current)
    values.setdefault("date_from", period_shift(period_floor(values["date_to"], period), period, 1 - DEFAULT_PERIODS))
    return values


def _page(request, values: dict, *, anomalies_only: bool) -> HttpResponse:
    """A page of snapshots: PostgreSQL writes the rows' JSON; this only wraps it."""
    limit, offset = values["limit"], values["offset"]
    rows, more = selectors.snapshot_page_json(
        period=values["period"],
        start=values["date_from"],
        end=values["date_to"],
        kpis=values.get("kpi"),
        dimension=values.get("dimension"),
        keys=values.get("key"),
        anomalies_only=anomalies_only,
        limit=limit,
        offset=offset,
    )
    if anomalies_only:
        rows = _explained(rows, values["period"])
    following = None
    if more:
        params = request.query_params.copy()
        params["offset"] = str(offset + limit)
        following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    head = json.dumps({"as_of": selectors.last_refresh_as_of(), "next": following}, cls=DjangoJSONEncoder)
    return HttpResponse(f'{head[:-1]}, "results": {rows}}}', content_type="application/json")


def _explained(rows: str, period: str) -> str:
    """Each anomaly with the note that likely explains it (docs/kpis.md §6), or null: the notes over
    the page's periods in ONE query, matched to each row's period and key in Python."""
    items = json.loads(rows)
    if not items:
        return rows
    spans = []
    for item in items:
        start = date.fromisoformat(item["start"])
        spans.append((start, period_shift(start, period, 1) - timedelta(days=1)))
    notes = annotations_between(first=min(s for s, _e in spans), last=max(e for _s, e in spans))
    for item, (first, last) in zip(items, spans, strict=True):
        scope = {"dimension": item["dimension"] or "", "key": item["key"] or ""}
        note = annotation_explaining(notes, first=first, last=last, **scope)
        item["explanation"] = annotation_brief(note) if note else None
    return json.dumps(items)


class SnapshotListApi(APIView):
    """KPI values of this client, from its snapshots (refreshed every 15 minutes and after imports)."""

    @extend_schema(parameters=LIST_PARAMETERS, responses=SnapshotPageSerializer)
    def get(self, request):
        return _page(request, _query(request, SnapshotQuerySerializer), anomalies_only=False)


class AnomalyListApi(APIView):
    """The snapshots flagged anomalous (docs/kpis.md §6) in the range, with their baseline and the
    client's note on their period, if any, as the likely explanation."""

    @extend_schema(parameters=LIST_PARAMETERS, responses=AnomalyPageSerializer)
    def get(self, request):
        return _page(request, _query(request, AnomalyQuerySerializer), anomalies_only=True)


class DefinitionListApi(APIView):
    """Every KPI, the client's custom ones last (family ``custom``): names, formula (shown on every
    chart), unit, better direction, dimensions, version."""

    @extend_schema(responses=DefinitionOutputSerializer(many=True))
    def get(self, request):
        language = translation.get_language()
        return Response(
            [
                {
                    "key": k.key,
                    "family": k.family,
                    "name": k.name(language),
                    "name_fr": k.name_fr,
                    "name_en": k.name_en,
                    "seed": k.seed,
                    "formula": str(k.formula),
                    "unit": k.unit,
                    "better": k.better,
                    "dimensions": list(k.dimensions),
                    "dimension_required": k.dimension_required,
                    "version": k.version,
                }
                for k in kpi_list()
            ]
        )


class PacingApi(APIView):
    """Month-to-date pacing and month-end projection of every weekly objective on a count KPI
    (docs/kpis.md §5)."""

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Default: today, locally.")],
        responses=PacingOutputSerializer(many=True),
    )
    def get(self, request):
        data = PacingQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        day = data.validated_data.get("date") or selectors.local_today()
        return Response(
            [
                {
                    "objective": p.objective.pk,
                    "kpi": p.objective.kpi,
                    "dimension": p.objective.dimension or None,
                    "key": (p.objective.key or None) if p.objective.dimension else None,
                    "weekly_target": float(p.objective.target),
                    "month": p.month,
                    "days": p.pacing.days,
                    "expected": p.pacing.expected,
                    "actual": p.pacing.actual,
                    "pacing": p.pacing.pacing,
                    "status": p.pacing.status,
                    "month_days": p.projection.month_days,
                    "month_target": p.projection.month_target,
                    "projected": p.projection.projected,
                    "needed_per_day": p.projection.needed_per_day,
                    "projected_status": p.projection.status,
                }
                for p in selectors.pacing_for(as_of_local=day)
            ]
        )


class RefreshApi(APIView):
    """Queue a refresh of this client's snapshots (managers and agency people)."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(request=RefreshInputSerializer, responses={202: RefreshOutputSerializer})
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sending = services.kpi_refresh_request(full=data.validated_data["full"], force=True)
        body = {"full": data.validated_data["full"], "awaiting_queue": sending.failed}
        return Response(RefreshOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class ObjectiveListCreateApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=ObjectiveSerializer(many=True))
    def get(self, request):
        return Response(ObjectiveSerializer(Objective.objects.all(), many=True).data)

    @extend_schema(request=ObjectiveSerializer, responses={201: ObjectiveSerializer})
    def post(self, request):
        data = ObjectiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objective = services.objective_save(**data.validated_data)
        return Response(ObjectiveSerializer(objective).data, status=status.HTTP_201_CREATED)


class ObjectiveDetailApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=ObjectiveSerializer)
    def get(self, request, pk: int):
        return Response(ObjectiveSerializer(get_object_or_404(Objective, pk=pk)).data)

    @extend_schema(request=ObjectiveSerializer, responses=ObjectiveSerializer)
    def patch(self, request, pk: int):
        objective = get_object_or_404(Objective, pk=pk)
        data = ObjectiveSerializer(objective, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(ObjectiveSerializer(services.objective_save(objective, **data.validated_data)).data)

    @extend_schema(request=ObjectiveSerializer, responses=ObjectiveSerializer)
    def put(self, request, pk: int):
        objective = get_object_or_404(Objective, pk=pk)
        data = ObjectiveSerializer(objective, data=request.data)
        data.is_valid(raise_exception=True)
        return Response(ObjectiveSerializer(services.objective_save(objective, **data.validated_data)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.objective_delete(get_object_or_404(Objective, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class KPISettingsApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=KPISettingsSerializer)
    def get(self, request):
        return Response({"amber_ratio": selectors.amber_ratio()})

    @extend_schema(request=KPISettingsSerializer, responses=KPISettingsSerializer)
    def put(self, request):
        data = KPISettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = services.kpi_settings_update(amber_ratio=data.validated_data["amber_ratio"])
        return Response({"amber_ratio": settings.amber_ratio})
