"""Source and platform-campaign API shapes. Health fields only: a connection's tokens are never
serialised. Every field rule is ``connectors.source_rules``'s (loose types here, so the rule answers
in its own words)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaigns.models import PlatformCampaign
from connectors.models import Source


class SourceSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "kind",
            "platform",
            "external_id",
            "external_name",
            "login_customer_id",
            "status",
            "last_run_at",
            "last_success_at",
            "last_rows_written",
            "last_error",
            "next_run_at",
            "first_day",
            "last_day",
            "created_at",
        ]
        read_only_fields = fields


class SourceInputSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=32, help_text=_("ga4, search_console, google_ads or meta_ads."))
    external_id = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text=_("properties/123, https://example.com/ or sc-domain:example.com, 123-456-7890, act_123."),
    )
    external_name = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    login_customer_id = serializers.CharField(
        max_length=20, allow_blank=True, required=False, default="", help_text=_("Google Ads only: 10 digits.")
    )


class SourceChangeSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=200, allow_blank=True, required=False)
    external_name = serializers.CharField(max_length=300, allow_blank=True, required=False)
    login_customer_id = serializers.CharField(max_length=20, allow_blank=True, required=False)


class AccountSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    manager_id = serializers.CharField()


class PlatformCampaignSerializer(serializers.ModelSerializer):
    campaign = serializers.CharField(source="campaign.key", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)

    class Meta:
        model = PlatformCampaign
        fields = ["id", "source", "external_id", "name", "campaign", "campaign_name", "updated_at"]
        read_only_fields = fields


class PlatformCampaignChangeSerializer(serializers.Serializer):
    campaign = serializers.CharField(max_length=100, help_text=_("The key of the Pouls campaign."))
