"""Sources API of one client account (/c/<slug>/api/v1/sources/…, docs/connectors.md): the client's
managers and agency people list, choose, change, sync and remove its sources, and remap its platform
campaigns; sales and viewers get 403, even to read (a source's errors name the agency's accounts).
The rules are ``connectors.source_rules``'s, as on the sources page."""

from __future__ import annotations

from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign, PlatformCampaign
from config.errors import DomainError
from connectors import source_services as services
from connectors.models import Source, SourceKind
from connectors.source_rules import SourceInvalid, active_connection
from connectors.source_serializers import (
    AccountSerializer,
    PlatformCampaignChangeSerializer,
    PlatformCampaignSerializer,
    SourceChangeSerializer,
    SourceInputSerializer,
    SourceSerializer,
)
from tenants.permissions import ClientManagerPermission

FALSE = ("0", "false", "no")


class SourceManagerPermission(ClientManagerPermission):
    """Managers and agency people only, reads included."""

    refuses_reads = True  # the OpenAPI document lists the 403 (config.api_schema)
    message = gettext_lazy("Only a manager of this client account or its agency manages its sources.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request._request.client_access.can_manage


def sources_of_client():
    return Source.objects.filter(client_id=connection.tenant.pk).select_related("connection")


def _source(pk: int) -> Source:
    source = sources_of_client().filter(pk=pk).first()
    if source is None:
        raise Http404("No such source")
    return source


class SourceListCreateApi(APIView):
    """The client's sources with their health (status, last success, rows written, last error)."""

    permission_classes = [SourceManagerPermission]

    @extend_schema(responses=SourceSerializer(many=True))
    def get(self, request):
        return Response(SourceSerializer(sources_of_client(), many=True).data)

    @extend_schema(request=SourceInputSerializer, responses={201: SourceSerializer})
    def post(self, request):
        data = SourceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = services.source_create(request.tenant, **data.validated_data, created_by=request.user)
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class SourceDetailApi(APIView):
    permission_classes = [SourceManagerPermission]

    @extend_schema(responses=SourceSerializer)
    def get(self, request, pk: int):
        return Response(SourceSerializer(_source(pk)).data)

    @extend_schema(request=SourceChangeSerializer, responses=SourceSerializer)
    def patch(self, request, pk: int):
        source = _source(pk)
        data = SourceChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(SourceSerializer(services.source_update(source, **data.validated_data)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "keep_data", bool, description="false: delete the source's rows and coverage (default: keep them)."
            )
        ],
        responses={204: None},
    )
    def delete(self, request, pk: int):
        keep = request.query_params.get("keep_data", "true").lower() not in FALSE
        services.source_delete(_source(pk), keep_data=keep)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceSyncApi(APIView):
    """Sync the source now (its backfill, if it has not run yet)."""

    permission_classes = [SourceManagerPermission]

    @extend_schema(request=None, responses={202: SourceSerializer})
    def post(self, request, pk: int):
        source = _source(pk)
        services.source_sync_requested(source)
        return Response(SourceSerializer(source).data, status=status.HTTP_202_ACCEPTED)


class SourceAccountsApi(APIView):
    """The accounts of a platform the agency's connection reads, to choose from (cached 10 minutes)."""

    permission_classes = [SourceManagerPermission]

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, description="ga4, search_console, google_ads or meta_ads.")],
        responses=AccountSerializer(many=True),
    )
    def get(self, request):
        kind = request.query_params.get("kind", "")
        if kind not in SourceKind.values:
            raise SourceInvalid({"kind": [_("Unknown platform: choose ga4, search_console, google_ads or meta_ads.")]})
        grant = active_connection(request.tenant.agency_id, kind)
        if grant is None:
            raise DomainError(
                _("No working connection for this platform: an agency owner connects it at /connections/."),
                field="kind",
            )
        accounts = services.accounts_listed(grant, kind)
        return Response(AccountSerializer(accounts, many=True).data)


class PlatformCampaignListApi(APIView):
    """The ad platforms' campaigns and the Pouls campaign each one's spend counts in."""

    permission_classes = [SourceManagerPermission]

    @extend_schema(responses=PlatformCampaignSerializer(many=True))
    def get(self, request):
        rows = PlatformCampaign.objects.select_related("campaign").order_by("source", "name", "pk")
        return Response(PlatformCampaignSerializer(rows, many=True).data)


class PlatformCampaignDetailApi(APIView):
    permission_classes = [SourceManagerPermission]

    @extend_schema(responses=PlatformCampaignSerializer)
    def get(self, request, pk: int):
        return Response(PlatformCampaignSerializer(_platform_campaign(pk)).data)

    @extend_schema(request=PlatformCampaignChangeSerializer, responses=PlatformCampaignSerializer)
    def patch(self, request, pk: int):
        row = _platform_campaign(pk)
        data = PlatformCampaignChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = Campaign.objects.filter(key=data.validated_data["campaign"]).first()
        if campaign is None:
            raise DomainError(_("No campaign has this key."), field="campaign")
        return Response(PlatformCampaignSerializer(services.platform_campaign_update(row, campaign)).data)


def _platform_campaign(pk: int) -> PlatformCampaign:
    row = PlatformCampaign.objects.select_related("campaign").filter(pk=pk).first()
    if row is None:
        raise Http404("No such platform campaign")
    return row
