"""Alert API (/c/<slug>/api/v1/alerts/…): members read; managers and agency people write the rules
(``ClientManagerPermission``); another client's user gets 404. Writes go through ``alerts.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import services
from alerts.models import Alert, AlertRule
from alerts.serializers import AlertQuerySerializer, AlertRuleSerializer, AlertSerializer
from tenants.permissions import ClientManagerPermission


class AlertRuleListCreateApi(APIView):
    """The client's alert rules (its agency's defaults apply too, and are managed by the agency)."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=AlertRuleSerializer(many=True))
    def get(self, request):
        rules = AlertRule.objects.select_related("created_by").order_by("id")
        return Response(AlertRuleSerializer(rules, many=True).data)

    @extend_schema(request=AlertRuleSerializer, responses={201: AlertRuleSerializer})
    def post(self, request):
        data = AlertRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.rule_create(data.validated_data, created_by=request.user)
        return Response(AlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class AlertRuleDetailApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=AlertRuleSerializer)
    def get(self, request, pk: int):
        return Response(AlertRuleSerializer(get_object_or_404(AlertRule, pk=pk)).data)

    @extend_schema(request=AlertRuleSerializer, responses=AlertRuleSerializer)
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(request=AlertRuleSerializer, responses=AlertRuleSerializer)
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.rule_delete(get_object_or_404(AlertRule, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, pk: int, *, partial: bool):
        rule = get_object_or_404(AlertRule, pk=pk)
        data = AlertRuleSerializer(rule, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        rule = services.rule_update(rule, data.validated_data)
        return Response(AlertRuleSerializer(rule).data)


def _alerts():
    return Alert.objects.prefetch_related("deliveries").order_by("-opened_at", "-id")


class AlertListApi(APIView):
    """Open and past alerts, newest first (``state`` filters; at most ``limit``, default 100)."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=["open", "resolved"]),
            OpenApiParameter("limit", int, description="1-500, default 100."),
        ],
        responses=AlertSerializer(many=True),
    )
    def get(self, request):
        query = AlertQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        alerts = _alerts()
        if query.validated_data.get("state"):
            alerts = alerts.filter(state=query.validated_data["state"])
        return Response(AlertSerializer(alerts[: query.validated_data["limit"]], many=True).data)


class AlertDetailApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=AlertSerializer)
    def get(self, request, pk: int):
        return Response(AlertSerializer(get_object_or_404(_alerts(), pk=pk)).data)
