"""Share links by API (/c/<slug>/api/v1/share-links/): list, create (the URL given once) and revoke,
for the client's managers and agency people; viewers and sales get 403, even to read. The rules are
``dashboards.sharing``'s, as on the Share page."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.models import ShareLink, ShareRange
from dashboards.sharing import share_link_create, share_link_revoke, share_link_status, share_links_list
from kpis.selectors import local_today
from tenants.permissions import ClientManagerPermission


class ShareLinkPermission(ClientManagerPermission):
    """Managers and agency people only, reads included: a link's list says who may see the data."""

    message = _("Only a manager of this client account or its agency shares its dashboard.")

    def has_permission(self, request, view) -> bool:
        # ClientManagerPermission resolved the access on the Django request (one query).
        return super().has_permission(request, view) and request._request.client_access.can_manage


class ShareLinkInputSerializer(serializers.Serializer):
    """Strings only: the service checks them, with the Share page's messages."""

    label = serializers.CharField(max_length=200, allow_blank=True)
    period = serializers.CharField(max_length=20, default="month", help_text="week, month or quarter")
    range = serializers.CharField(
        max_length=20, default=ShareRange.LAST, help_text="last (complete period), this (period to date) or custom"
    )
    date_from = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    date_to = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    expires_on = serializers.CharField(allow_blank=True, max_length=40, help_text="YYYY-MM-DD, within a year.")
    password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, trim_whitespace=False, write_only=True
    )


class ShareLinkSerializer(serializers.ModelSerializer):
    # Plain text: a choice field would add a second enum named "period" to the schema (week, month,
    # quarter beside the snapshots' day, week, month, quarter).
    period = serializers.CharField(read_only=True, help_text="week, month or quarter")
    has_password = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "label",
            "period",
            "range",
            "date_from",
            "date_to",
            "has_password",
            "expires_at",
            "revoked_at",
            "status",
            "created_by_email",
            "created_at",
            "last_used_at",
            "use_count",
        ]

    def get_has_password(self, link: ShareLink) -> bool:
        return bool(link.password)

    def get_status(self, link: ShareLink) -> str:
        return share_link_status(link)


class NewShareLinkSerializer(ShareLinkSerializer):
    url = serializers.CharField(help_text="The link's address, given this once only (only its hash is kept).")

    class Meta(ShareLinkSerializer.Meta):
        fields = [*ShareLinkSerializer.Meta.fields, "url"]


class ShareLinkListCreateApi(APIView):
    permission_classes = [ShareLinkPermission]

    @extend_schema(responses=ShareLinkSerializer(many=True))
    def get(self, request):
        return Response(ShareLinkSerializer(share_links_list(), many=True).data)

    @extend_schema(request=ShareLinkInputSerializer, responses={201: NewShareLinkSerializer})
    def post(self, request):
        data = ShareLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = share_link_create(**data.validated_data, by=request.user, today=local_today())
        link = created.link
        link.url = request.build_absolute_uri(reverse("shared-dashboard", kwargs={"token": created.token}))
        return Response(NewShareLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class ShareLinkRevokeApi(APIView):
    permission_classes = [ShareLinkPermission]

    @extend_schema(request=None, responses=ShareLinkSerializer)
    def post(self, request, pk: int):
        link = share_link_revoke(link=get_object_or_404(ShareLink, pk=pk), by=request.user)
        return Response(ShareLinkSerializer(link).data)
