"""The agency defaults API (public schema): the alert rules an agency sets for all its clients
(``portfolio.AgencyAlertRule``), managed by its owners and staff with the rule of a client's own
rules (``alerts.rules.rule_clean``, built-in KPIs only). It lives in alerts, not portfolio, because
the rule does (portfolio is the lower layer).

- ``GET/POST /api/v1/alert-defaults/``: the defaults of the agencies you work for; create one (for
  your one agency, or name it with ``agency``).
- ``GET/PATCH/PUT/DELETE /api/v1/alert-defaults/<id>/``.

Someone who works for no agency (a client's manager, viewer…) gets 403; another agency's default is
a 404, as if it did not exist. Channels are shown masked, as for a client's rules.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import services
from alerts.serializers import AgencyAlertRuleSerializer
from portfolio.client_rules import agencies_creating_clients
from portfolio.models import AgencyAlertRule


def _agencies(request) -> list:
    """The agencies whose defaults the user manages (owners and staff; superusers: all), read once per
    request (the permission and the view both ask)."""
    agencies = getattr(request, "_alert_default_agencies", None)
    if agencies is None:
        agencies = request._alert_default_agencies = agencies_creating_clients(request.user)
    if not agencies:
        raise PermissionDenied(AgencyPeoplePermission.message)
    return agencies


class AgencyPeoplePermission(IsAuthenticated):
    """Agency owners and staff only: anyone else signed in gets 403, reads included."""

    refuses_reads = True  # the OpenAPI document lists the 403 (config.api_schema)
    message = _("Only agency owners and staff manage their agency's default alert rules.")

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        _agencies(request)
        return True


class AgencyAlertRuleListCreateApi(APIView):
    """Your agencies' default alert rules, applied to each of their clients beside its own."""

    permission_classes = [AgencyPeoplePermission]
    body_names_objects = True  # an agency the caller does not work for: 404 (config.api_schema)

    @extend_schema(responses=AgencyAlertRuleSerializer(many=True))
    def get(self, request):
        agencies = _agencies(request)
        rules = AgencyAlertRule.objects.filter(agency__in=agencies).order_by("agency_id", "id")
        return Response(AgencyAlertRuleSerializer(rules, many=True).data)

    @extend_schema(request=AgencyAlertRuleSerializer, responses={201: AgencyAlertRuleSerializer})
    def post(self, request):
        agencies = _agencies(request)
        data = AgencyAlertRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        agency_id = values.pop("agency_id", None)
        if agency_id is not None:
            agency = next((a for a in agencies if a.pk == agency_id), None)
            if agency is None:
                raise NotFound()
        elif len(agencies) > 1:
            raise serializers.ValidationError({"agency": [_("You work for several agencies: name the agency.")]})
        else:
            agency = agencies[0]
        rule = services.agency_rule_create(values, agency=agency)
        return Response(AgencyAlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class AgencyAlertRuleDetailApi(APIView):
    permission_classes = [AgencyPeoplePermission]

    def _rule(self, request, pk: int) -> AgencyAlertRule:
        rule = AgencyAlertRule.objects.filter(pk=pk, agency__in=_agencies(request)).first()
        if rule is None:
            raise NotFound()
        return rule

    @extend_schema(responses=AgencyAlertRuleSerializer)
    def get(self, request, pk: int):
        return Response(AgencyAlertRuleSerializer(self._rule(request, pk)).data)

    @extend_schema(request=AgencyAlertRuleSerializer, responses=AgencyAlertRuleSerializer)
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(request=AgencyAlertRuleSerializer, responses=AgencyAlertRuleSerializer)
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.agency_rule_delete(self._rule(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, pk: int, *, partial: bool):
        rule = self._rule(request, pk)
        data = AgencyAlertRuleSerializer(rule, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if values.pop("agency_id", rule.agency_id) != rule.agency_id:
            raise serializers.ValidationError({"agency": [_("A default rule stays with its agency.")]})
        rule = services.agency_rule_update(rule, values)
        return Response(AgencyAlertRuleSerializer(rule).data)
