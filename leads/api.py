"""CRM REST API (/c/<slug>/api/v1/): one view per operation, thin callers of leads.services."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import services
from leads.filters import LeadFilter
from leads.gdpr import lead_export
from leads.models import ChangeOrigin, Lead, ScoringRule
from leads.serializers import (
    BulkMoveInputSerializer,
    EraseInputSerializer,
    LeadCreateInputSerializer,
    LeadOutputSerializer,
    LeadSettingsSerializer,
    LeadUpdateInputSerializer,
    LostInputSerializer,
    MoveInputSerializer,
    NoteInputSerializer,
    NoteOutputSerializer,
    ReasonInputSerializer,
    ScoringRuleSerializer,
    TransitionOutputSerializer,
)
from tenants.permissions import ClientManagerPermission, ClientTeamPermission

LEAD_QUERYSET = Lead.objects.select_related("channel", "campaign", "offer", "landing_page", "owner")


def _lead(pk: int) -> Lead:
    return get_object_or_404(LEAD_QUERYSET, pk=pk)


def _output(lead: Lead, code=status.HTTP_200_OK) -> Response:
    return Response(LeadOutputSerializer(_lead(lead.pk)).data, status=code)


class LeadListCreateApi(generics.ListAPIView):
    """Leads of this client account, filtered, ordered and paginated; POST creates or merges by email."""

    permission_classes = [ClientTeamPermission]

    queryset = LEAD_QUERYSET
    serializer_class = LeadOutputSerializer
    filterset_class = LeadFilter
    ordering_fields = ["created_at", "updated_at", "score", "deal_value", "email", "stage"]
    ordering = ["-created_at", "-pk"]

    @extend_schema(
        request=LeadCreateInputSerializer,
        responses={201: LeadOutputSerializer, 200: OpenApiResponse(LeadOutputSerializer, "Merged into a lead")},
    )
    def post(self, request):
        data = LeadCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead, created = services.lead_upsert(
            record=services.LeadInput(**data.validated_data), by=request.user, source=ChangeOrigin.API
        )
        return _output(lead, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LeadDetailApi(APIView):
    permission_classes = [ClientTeamPermission]

    @extend_schema(responses=LeadOutputSerializer)
    def get(self, request, pk: int):
        return _output(_lead(pk))

    @extend_schema(request=LeadUpdateInputSerializer, responses=LeadOutputSerializer)
    def patch(self, request, pk: int):
        lead = _lead(pk)
        data = LeadUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        with transaction.atomic():
            if "owner" in changes:
                services.lead_assign(lead=lead, owner=changes.pop("owner"), by=request.user, source=ChangeOrigin.API)
            if changes:
                services.lead_update(lead=lead, changes=changes, by=request.user, source=ChangeOrigin.API)
        return _output(lead)


class LeadMoveApi(APIView):
    permission_classes = [ClientTeamPermission]

    @extend_schema(request=MoveInputSerializer, responses=LeadOutputSerializer)
    def post(self, request, pk: int):
        data = MoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_move_stage(lead=_lead(pk), by=request.user, source=ChangeOrigin.API, **data.validated_data)
        return _output(lead)


class LeadBulkMoveApi(APIView):
    permission_classes = [ClientTeamPermission]

    @extend_schema(request=BulkMoveInputSerializer, responses=LeadOutputSerializer(many=True))
    def post(self, request):
        data = BulkMoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        leads = services.lead_bulk_move(by=request.user, source=ChangeOrigin.API, **data.validated_data)
        fresh = LEAD_QUERYSET.filter(pk__in=[lead.pk for lead in leads]).order_by("pk")
        return Response(LeadOutputSerializer(fresh, many=True).data)


class LeadLostApi(APIView):
    permission_classes = [ClientTeamPermission]

    @extend_schema(request=LostInputSerializer, responses=LeadOutputSerializer)
    def post(self, request, pk: int):
        data = LostInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_mark_lost(lead=_lead(pk), by=request.user, source=ChangeOrigin.API, **data.validated_data)
        return _output(lead)


class LeadReopenApi(APIView):
    permission_classes = [ClientTeamPermission]

    @extend_schema(request=ReasonInputSerializer, responses=LeadOutputSerializer)
    def post(self, request, pk: int):
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_reopen(lead=_lead(pk), by=request.user, source=ChangeOrigin.API, **data.validated_data)
        return _output(lead)


class LeadHistoryApi(generics.ListAPIView):
    """The lead's append-only history, oldest first."""

    permission_classes = [ClientTeamPermission]

    serializer_class = TransitionOutputSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return _lead(self.kwargs["pk"]).transitions.select_related("by").order_by("recorded_at", "pk")


class LeadNotesApi(generics.ListAPIView):
    permission_classes = [ClientTeamPermission]

    serializer_class = NoteOutputSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return _lead(self.kwargs["pk"]).notes.select_related("author")

    @extend_schema(request=NoteInputSerializer, responses={201: NoteOutputSerializer})
    def post(self, request, pk: int):
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.lead_add_note(lead=_lead(pk), body=data.validated_data["body"], by=request.user)
        return Response(NoteOutputSerializer(note).data, status=status.HTTP_201_CREATED)


class LeadExportApi(APIView):
    """GDPR: everything Pouls holds about one contact, as JSON."""

    permission_classes = [ClientTeamPermission]

    @extend_schema(responses={200: OpenApiResponse(description="The contact's data, history, notes and activities")})
    def get(self, request, pk: int):
        return Response(lead_export(lead=_lead(pk), by=request.user))


class LeadEraseApi(APIView):
    """GDPR: erase the contact, its history, notes and activities (managers only)."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(request=EraseInputSerializer, responses={204: None})
    def post(self, request, pk: int):
        data = EraseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.lead_erase(lead=_lead(pk), block_recapture=data.validated_data["block_recapture"], by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScoringRuleListCreateApi(generics.ListCreateAPIView):
    """Scoring rules of this client; changing them rescores every lead."""

    queryset = ScoringRule.objects.all()
    serializer_class = ScoringRuleSerializer
    permission_classes = [ClientManagerPermission]
    pagination_class = None
    filter_backends: list = []

    def perform_create(self, serializer):
        serializer.instance = services.scoring_rule_create(**serializer.validated_data)


class ScoringRuleDetailApi(generics.RetrieveUpdateDestroyAPIView):
    queryset = ScoringRule.objects.all()
    serializer_class = ScoringRuleSerializer
    permission_classes = [ClientManagerPermission]

    def perform_update(self, serializer):
        serializer.instance = services.scoring_rule_update(rule=serializer.instance, changes=serializer.validated_data)

    def perform_destroy(self, instance):
        services.scoring_rules_delete(rules=[instance])


class LeadSettingsApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=LeadSettingsSerializer)
    def get(self, request):
        return Response(LeadSettingsSerializer(services.lead_settings()).data)

    @extend_schema(request=LeadSettingsSerializer, responses=LeadSettingsSerializer)
    def put(self, request):
        data = LeadSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = services.lead_settings_update(
            mql_threshold=data.validated_data.get("mql_threshold"),
            block_erased_emails=data.validated_data.get("block_erased_emails", True),
        )
        return Response(LeadSettingsSerializer(settings).data)
