"""The audit log API (public schema, GET /api/v1/audit/): read-only, for agency owners (their agencies'
events) and platform superusers (every event). Anyone else signed in gets a 403: the endpoint is the
same for everyone, so refusing it tells nothing about any client; another agency's events never appear."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.selectors import AuditReader, audit_reader_for


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(
        source="actor_email", read_only=True, help_text=_("Who did it (their email then; empty: no one signed in).")
    )
    agency = serializers.SlugRelatedField(slug_field="name", read_only=True)
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    action_label = serializers.CharField(
        source="get_action_display", read_only=True, help_text=_("The action, in words.")
    )
    details = serializers.DictField(
        read_only=True, help_text=_("What else is known: old and new values, fields changed.")
    )

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "agency", "client", "action", "action_label", "target", "details"]
        read_only_fields = fields


class AuditReaderPermission(BasePermission):
    """Agency owners and platform superusers. Resolves the reader once and keeps it on the request."""

    message = _("Only an agency's owners may read its audit log.")
    refuses_reads = True  # the OpenAPI document lists the 403 (config.api_schema)

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 with WWW-Authenticate
        request.audit_reader = audit_reader_for(request.user)
        return request.audit_reader is not None


class AuditFilterBackend(DjangoFilterBackend):
    """django-filter, with the client accounts this reader may filter by."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "clients": request.audit_reader.clients()}


class AuditPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AuditEventListApi(generics.ListAPIView):
    """Who did what, when: client accounts created, changed, archived or restored; invitations; role
    changes and removals; leads exported or erased; API tokens created or revoked. Newest first."""

    permission_classes = [AuditReaderPermission]
    serializer_class = AuditEventSerializer
    filter_backends = [AuditFilterBackend]
    filterset_class = AuditEventFilter
    pagination_class = AuditPagination

    def get_queryset(self):
        reader: AuditReader | None = getattr(self.request, "audit_reader", None)
        return reader.events() if reader is not None else AuditEvent.objects.none()  # none: the schema generator
