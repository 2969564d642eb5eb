"""Alert API shapes. Every rule field is checked by ``alerts.rules.rule_clean`` (the page's form and
the admin use it too); webhook secrets are write-only in effect: shown masked (``…abcd``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.rules import RULE_FIELDS, channels_public, rule_change_clean, rule_clean
from portfolio.alert_rule_fields import AlertKind, StaleSource
from portfolio.models import AgencyAlertRule


class AlertRuleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=AlertKind.choices, help_text=_("status_red, anomaly, pacing or stale."))
    kpi = serializers.CharField(required=False, allow_blank=True, help_text=_("A KPI key; empty: the headline KPIs."))
    dimension = serializers.CharField(required=False, allow_blank=True)
    key = serializers.CharField(required=False, allow_blank=True)
    threshold = serializers.IntegerField(required=False, help_text=_("Pacing rules: a percentage (default 90)."))
    stale_days = serializers.IntegerField(required=False, help_text=_("Stale rules: days of silence (default 3)."))
    stale_source = serializers.ChoiceField(choices=StaleSource.choices, required=False)
    channels = serializers.JSONField(
        help_text=_(
            'At most 10 of {"type": "email", "to"}, {"type": "webhook", "url", "secret"}, '
            '{"type": "slack", "url"}, {"type": "teams", "url"}. Secrets are shown masked.'
        )
    )
    created_by = serializers.SerializerMethodField()
    client_level = True  # a client's own rule may name its custom KPIs

    class Meta:
        model = AlertRule
        fields = ["id", *RULE_FIELDS, "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def get_created_by(self, rule: AlertRule) -> str | None:
        return rule.created_by.email if rule.created_by_id and rule.created_by else None

    def to_representation(self, rule):
        data = super().to_representation(rule)
        data["channels"] = channels_public(rule.channels)
        return data

    def validate(self, attrs):
        try:
            if self.instance is not None:  # PATCH: checked with the rule's stored fields
                return rule_change_clean(self.instance, attrs, client_level=self.client_level)
            return rule_clean(attrs, client_level=self.client_level)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error


class AgencyAlertRuleSerializer(AlertRuleSerializer):
    """An agency's default rule: the same fields and rule, built-in KPIs only (each client's custom
    KPIs differ)."""

    client_level = False
    created_by = None
    agency = serializers.IntegerField(
        source="agency_id",
        min_value=1,
        required=False,
        help_text=_("The agency's id; by default the one agency you work for. Fixed once created."),
    )

    class Meta:
        model = AgencyAlertRule
        fields = ["id", "agency", *RULE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs):
        agency = attrs.pop("agency_id", None)
        cleaned = super().validate(attrs)
        if agency is not None:
            cleaned["agency_id"] = agency
        return cleaned


class AlertDeliverySerializer(serializers.ModelSerializer):
    channel = serializers.SerializerMethodField()

    class Meta:
        model = AlertDelivery
        fields = [
            "id",
            "channel",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "log",
        ]

    def get_channel(self, delivery) -> str:
        return delivery.channel.get("type", "")


class AlertSerializer(serializers.ModelSerializer):
    deliveries = AlertDeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "agency_rule_id",
            "kind",
            "subject",
            "kpi",
            "dimension",
            "key",
            "period",
            "state",
            "opened_at",
            "resolved_at",
            "details",
            "deliveries",
        ]
        read_only_fields = fields


class AlertQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["open", "resolved"], required=False)
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)
