"""The connections API (public schema), by the rule of the connections page
(``connectors.connection_rules``):

- ``GET /api/v1/connections/``: the platform connections of the agencies you work for (owners and
  staff), without their tokens;
- ``DELETE /api/v1/connections/<id>/``: disconnect (revoked at the platform, best effort; its sources go too).

Someone who works for no agency gets 403; another agency's connection is a 404, as if it did not exist."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.connection_rules import agencies_connecting, connection_of, connections_for
from connectors.errors import NotConfigured
from connectors.serializers import ConnectionSerializer, connection_row
from connectors.services import connection_disconnect


def _agencies(request) -> list:
    agencies = getattr(request, "_connecting_agencies", None)
    if agencies is None:
        agencies = request._connecting_agencies = agencies_connecting(request.user)
    if not agencies:
        raise PermissionDenied(AgencyConnectionsPermission.message)
    return agencies


class AgencyConnectionsPermission(IsAuthenticated):
    """Agency owners and staff only: anyone else signed in gets 403, reads included."""

    refuses_reads = True  # the OpenAPI document lists the 403 (config.api_schema)
    message = _("Only agency owners and staff manage platform connections.")

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        _agencies(request)
        return True


class ConnectionListApi(APIView):
    """Your agencies' Google and Meta connections."""

    permission_classes = [AgencyConnectionsPermission]

    @extend_schema(responses=ConnectionSerializer(many=True))
    def get(self, request):
        connections = (
            connections_for(_agencies(request))
            .annotate(source_count=Count("sources"))
            .order_by("agency_id", "provider")
        )
        return Response(ConnectionSerializer([connection_row(c) for c in connections], many=True).data)


class ConnectionDetailApi(APIView):
    permission_classes = [AgencyConnectionsPermission]

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        connection = connection_of(_agencies(request), pk)
        if connection is None:
            raise NotFound()
        try:
            connection_disconnect(connection, request.user)
        except NotConfigured as exc:
            raise ValidationError({"non_field_errors": [exc.message]}) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
