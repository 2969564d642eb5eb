"""/c/<slug>/api/v1/kpis/custom/: the client's custom KPIs (docs/kpis.md, "Custom KPIs and metrics").
Members read the definitions; managers and agency people write them, through
``kpis.custom.services`` (a bad formula is a 400 on ``formula`` naming the position)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from kpis.custom.services import custom_kpi_delete, custom_kpi_save
from kpis.models import FORMULA_MAX_LENGTH, CustomKPI
from kpis.registry import DIMENSIONS, Better, Unit
from tenants.permissions import ClientManagerPermission


class CustomKPIInputSerializer(serializers.Serializer):
    """The shape of the input; the rules are ``custom_kpi_validate``'s (the admin's too)."""

    key = serializers.CharField(required=False, max_length=100, help_text=_("Set on creation; never changes."))
    name = serializers.CharField(required=False, max_length=300)
    formula = serializers.CharField(
        required=False,
        max_length=FORMULA_MAX_LENGTH * 2,  # the rule refuses a long one with its position
        trim_whitespace=False,
        help_text=_("Measures and numbers with + - * / and parentheses, e.g. spend / sqls."),
    )
    # the values of the KPI definitions' unit and better direction (kpis.serializers), one enum each
    unit = serializers.ChoiceField(choices=[u.value for u in Unit], required=False)
    better = serializers.ChoiceField(choices=[b.value for b in Better], required=False)
    dimensions = serializers.ListField(
        child=serializers.ChoiceField(choices=DIMENSIONS),
        required=False,
        help_text=_("Default: every breakdown its measures allow."),
    )


class CustomKPIOutputSerializer(serializers.ModelSerializer):
    unit = serializers.ChoiceField(choices=[u.value for u in Unit], read_only=True)
    better = serializers.ChoiceField(choices=[b.value for b in Better], read_only=True)

    class Meta:
        model = CustomKPI
        fields = ["key", "name", "formula", "unit", "better", "dimensions", "version", "created_at", "updated_at"]
        read_only_fields = fields


def _custom_kpi(key: str) -> CustomKPI:
    # A key is ASCII letters, digits and '_' (kpis.custom.services): any other text names no KPI, and
    # a NUL byte would be an error of PostgreSQL's, not a 404.
    ok = key.isascii() and key.replace("_", "").isalnum()
    row = CustomKPI.objects.filter(key=key).first() if ok else None
    if row is None:
        raise NotFound()
    return row


class CustomKPIListCreateApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=CustomKPIOutputSerializer(many=True))
    def get(self, request):
        return Response(CustomKPIOutputSerializer(CustomKPI.objects.order_by("key"), many=True).data)

    @extend_schema(request=CustomKPIInputSerializer, responses={201: CustomKPIOutputSerializer})
    def post(self, request):
        data = CustomKPIInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = custom_kpi_save(**data.validated_data)
        return Response(CustomKPIOutputSerializer(row).data, status=status.HTTP_201_CREATED)


class CustomKPIDetailApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=CustomKPIOutputSerializer)
    def get(self, request, key: str):
        return Response(CustomKPIOutputSerializer(_custom_kpi(key)).data)

    @extend_schema(request=CustomKPIInputSerializer, responses=CustomKPIOutputSerializer)
    def patch(self, request, key: str):
        row = _custom_kpi(key)
        data = CustomKPIInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(CustomKPIOutputSerializer(custom_kpi_save(row, **data.validated_data)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, key: str):
        custom_kpi_delete(_custom_kpi(key))
        return Response(status=status.HTTP_204_NO_CONTENT)
