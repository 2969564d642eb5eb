"""API shapes of the CRM: inputs validate into plain values, outputs describe leads."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign, Channel, LandingPage, Offer
from config.api_inputs import DateTimeField
from leads.models import (
    ATTRIBUTION_FIELDS,
    CONTACT_FIELDS,
    Lead,
    LeadNote,
    LeadSettings,
    MoveKind,
    ScoringRule,
    Stage,
    StageTransition,
)
from leads.selectors import lead_owners
from leads.services import OWNER_REFUSED


class KeyField(serializers.SlugRelatedField):
    """A related object named by its key (``paid_search``, ``spring-webinar``)."""

    def __init__(self, model, **kwargs):
        super().__init__(slug_field="key", queryset=model.objects.all(), required=False, allow_null=True, **kwargs)


@extend_schema_field(OpenApiTypes.EMAIL)
class OwnerField(serializers.Field):
    """A user named by email, among those who may own this client's leads (``lead_owners``). An email
    nobody has gets the same error as one whose person may not own leads here: the API never tells
    which emails have accounts."""

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        email = str(data).strip().lower()
        client = getattr(connection, "tenant", None)
        user = None
        if client is not None and "\x00" not in email:
            user = lead_owners(client).filter(email=email).first()
        if user is None:
            raise serializers.ValidationError(str(OWNER_REFUSED))
        return user

    def to_representation(self, value):
        return value.email if value is not None else None


class LeadOutputSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="key", read_only=True)
    campaign = serializers.SlugRelatedField(slug_field="key", read_only=True)
    offer = serializers.SlugRelatedField(slug_field="key", read_only=True)
    landing_page = serializers.SlugRelatedField(slug_field="key", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "email",
            *CONTACT_FIELDS,
            "created_at",
            "updated_at",
            *ATTRIBUTION_FIELDS,
            "stage",
            "mql_at",
            "sql_at",
            "customer_at",
            "is_lost",
            "lost_at",
            "lost_reason",
            "owner",
            "score",
            "deal_value",
        ]
        read_only_fields = fields


class _LeadFieldsSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company_size = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    channel = KeyField(Channel)
    campaign = KeyField(Campaign)
    offer = KeyField(Offer)
    landing_page = KeyField(LandingPage)
    keyword = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=200, required=False, allow_blank=True)
    deal_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)


class LeadCreateInputSerializer(_LeadFieldsSerializer):
    email = serializers.EmailField(max_length=254)
    created_at = DateTimeField(required=False, help_text=_("Naive values are in the client's time zone."))
    stage = serializers.ChoiceField(choices=Stage.choices, required=False, default=Stage.LEAD)
    mql_at = DateTimeField(required=False, allow_null=True)
    sql_at = DateTimeField(required=False, allow_null=True)
    customer_at = DateTimeField(required=False, allow_null=True)
    lost_at = DateTimeField(required=False, allow_null=True)
    lost_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    owner = OwnerField(required=False, allow_null=True)


class LeadUpdateInputSerializer(_LeadFieldsSerializer):
    email = serializers.EmailField(max_length=254, required=False)
    owner = OwnerField(required=False, allow_null=True)


class MoveInputSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Stage.choices)
    at = DateTimeField(required=False, help_text=_("When it happened (default: now)."))
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(
        choices=MoveKind.choices,
        required=False,
        help_text=_(
            "Required for a move back to an earlier stage (400 without it): 'correction' voids the reach of the "
            "stages above the target (they were never really reached; KPIs recount without them), 'regression' "
            "keeps it (the lead reached them and went back). Ignored for a forward move."
        ),
    )
    deal_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Only with a move to customer: the deal's amount (null or absent: the value stays as it is)."),
    )


class BulkMoveInputSerializer(MoveInputSerializer):
    lead_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000)
    deal_value = None  # one amount for many deals means nothing: each lead's own page or move/ sets it


class LostInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    at = DateTimeField(required=False)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EraseInputSerializer(serializers.Serializer):
    block_recapture = serializers.BooleanField(required=False, allow_null=True, default=None)


class TransitionOutputSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = StageTransition
        fields = ["id", "kind", "from_stage", "to_stage", "at", "recorded_at", "by", "reason", "source", "changes"]
        read_only_fields = fields


class NoteOutputSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = LeadNote
        fields = ["id", "body", "author", "created_at"]
        read_only_fields = fields


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10_000)


class ScoringRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringRule
        fields = ["id", "name", "field", "operator", "value", "points", "max_points", "is_active"]


class LeadSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadSettings
        fields = ["mql_threshold", "block_erased_emails"]
