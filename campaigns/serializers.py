"""API shapes of the marketing data: inputs validate types into plain values (the services check the
rules), outputs describe rows. Related objects are named by their key both ways (``"paid_search"``)."""

from __future__ import annotations

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from campaigns import rules
from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    FactSource,
    KeywordStat,
    LandingPage,
    Offer,
    Spend,
    Traffic,
)
from config.api_inputs import DateTimeField

MAX_COUNT = 2_147_483_647  # PositiveIntegerField


class EnumField(serializers.ChoiceField):
    """A choice field documented as an enum of its own name (``CampaignStatusEnum``), so that fields of
    the same name elsewhere in the API (a lead transition's ``kind`` or ``source``) keep theirs."""

    def __init__(self, choices: type[models.TextChoices], *, component: str, **kwargs):
        self.component = component
        super().__init__(choices=choices.choices, **kwargs)


class EnumFieldSchema(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        description = "\n".join(f"* `{value}` - {label}" for value, label in field.choices.items())
        component = ResolvedComponent(
            name=field.component,
            type=ResolvedComponent.SCHEMA,
            object=field.component,
            schema={"type": "string", "enum": list(field.choices), "description": description},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


KEY_HELP = _("Named by its key.")


def key_of(model: type[models.Model], *, required: bool = False) -> serializers.SlugRelatedField:
    """An input naming a related ``model`` row by its key; an unknown key is a 400 on that field."""
    return serializers.SlugRelatedField(
        slug_field="key",
        queryset=model.objects.all(),
        required=required,
        allow_null=not required,
        label=model._meta.verbose_name,
        help_text=KEY_HELP,
    )


def key_out(model: type[models.Model]) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="key", read_only=True, label=model._meta.verbose_name, help_text=KEY_HELP
    )


def key_in(*, max_length: int = rules.KEY_MAX_LENGTH, help_text=None, **kwargs) -> serializers.CharField:
    """A row's own key. Its format and length are ``campaigns.rules.key_normalised``'s, checked by the
    service, so the API refuses a bad key in the words of the admin and the imports."""
    help_text = help_text or format_lazy(
        _("Lower-case letters, digits, '_' and '-'; at most {max} characters (trimmed and lower-cased)."),
        max=max_length,
    )
    return serializers.CharField(help_text=help_text, **kwargs)


def count(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(max_value=MAX_COUNT, **kwargs)


def amount(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


SOURCE_HELP = _("Rows written through the API are always “import”; “tracking” rows come from the tracking snippet.")


# --- channels ------------------------------------------------------------------------------------


class ChannelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "key", "name", "is_paid", "is_builtin"]


class ChannelInputSerializer(serializers.Serializer):
    key = key_in(max_length=rules.CHANNEL_KEY_MAX_LENGTH)
    name = serializers.CharField(max_length=200)
    is_paid = serializers.BooleanField(default=False)


class ChannelUpdateInputSerializer(serializers.Serializer):
    key = serializers.CharField(
        required=False, help_text=_("The key cannot change: another key than the channel's is a 400.")
    )
    name = serializers.CharField(max_length=200, required=False)
    is_paid = serializers.BooleanField(required=False)


# --- catalogue: campaigns, offers, landing pages, calls-to-action ----------------------------------


class CampaignOutputSerializer(serializers.ModelSerializer):
    channel = key_out(Channel)
    status = EnumField(Campaign.Status, component="CampaignStatusEnum", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "key", "name", "channel", "starts_on", "ends_on", "budget", "utm_campaign", "status"]
        read_only_fields = fields


class CampaignInputSerializer(serializers.Serializer):
    key = key_in()
    name = serializers.CharField(max_length=200)
    channel = key_of(Channel)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    budget = amount(required=False, allow_null=True)
    utm_campaign = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = EnumField(Campaign.Status, component="CampaignStatusEnum", required=False)


class OfferOutputSerializer(serializers.ModelSerializer):
    kind = EnumField(Offer.Kind, component="OfferKindEnum", read_only=True)

    class Meta:
        model = Offer
        fields = ["id", "key", "name", "kind"]
        read_only_fields = fields


class OfferInputSerializer(serializers.Serializer):
    key = key_in()
    name = serializers.CharField(max_length=200)
    kind = EnumField(Offer.Kind, component="OfferKindEnum", required=False)


class LandingPageOutputSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True, help_text=_("The page's URL; empty when not given."))
    offer = key_out(Offer)
    campaign = key_out(Campaign)

    class Meta:
        model = LandingPage
        fields = ["id", "key", "name", "url", "offer", "campaign"]
        read_only_fields = fields


class LandingPageInputSerializer(serializers.Serializer):
    key = key_in()
    name = serializers.CharField(max_length=200)
    url = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=format_lazy(
            _("An absolute URL with its scheme (https://…), at most {max} characters."), max=rules.URL_MAX_LENGTH
        ),
    )
    offer = key_of(Offer)
    campaign = key_of(Campaign)


class CTAOutputSerializer(serializers.ModelSerializer):
    landing_page = key_out(LandingPage)

    class Meta:
        model = CTA
        fields = ["id", "key", "name", "landing_page"]
        read_only_fields = fields


class CTAInputSerializer(serializers.Serializer):
    key = key_in(help_text=_("Lower-case letters, digits, '_' and '-'; the page marks it data-pouls-cta=“key”."))
    name = serializers.CharField(max_length=200)
    landing_page = key_of(LandingPage)


# --- daily facts ---------------------------------------------------------------------------------


class SpendOutputSerializer(serializers.ModelSerializer):
    campaign = key_out(Campaign)

    class Meta:
        model = Spend
        fields = ["id", "date", "campaign", "amount", "updated_at"]
        read_only_fields = fields


class SpendInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    campaign = key_of(Campaign, required=True)
    amount = amount()


class TrafficOutputSerializer(serializers.ModelSerializer):
    channel = key_out(Channel)
    landing_page = key_out(LandingPage)
    source = EnumField(FactSource, component="FactSourceEnum", read_only=True)

    class Meta:
        model = Traffic
        fields = ["id", "date", "channel", "landing_page", "source", "visits", "updated_at"]
        read_only_fields = fields


class TrafficInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    channel = key_of(Channel)
    landing_page = key_of(LandingPage)
    visits = count()
    source = EnumField(FactSource, component="FactSourceEnum", required=False, help_text=SOURCE_HELP)


class CTAStatOutputSerializer(serializers.ModelSerializer):
    cta = key_out(CTA)
    source = EnumField(FactSource, component="FactSourceEnum", read_only=True)

    class Meta:
        model = CTAStat
        fields = ["id", "date", "cta", "source", "views", "clicks", "updated_at"]
        read_only_fields = fields


class CTAStatInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    cta = key_of(CTA, required=True)
    views = count()
    clicks = count()
    source = EnumField(FactSource, component="FactSourceEnum", required=False, help_text=SOURCE_HELP)


class KeywordStatOutputSerializer(serializers.ModelSerializer):
    channel = key_out(Channel)

    class Meta:
        model = KeywordStat
        fields = ["id", "date", "keyword", "channel", "visits", "impressions", "updated_at"]
        read_only_fields = fields


class KeywordStatInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    keyword = serializers.CharField(
        help_text=format_lazy(
            _("Stored lower-cased, spaces trimmed and collapsed; at most {max} characters."),
            max=rules.KEYWORD_MAX_LENGTH,
        )
    )
    channel = key_of(Channel, required=True)
    visits = count()
    impressions = count(required=False, allow_null=True)


# --- email sends ---------------------------------------------------------------------------------


class EmailSendOutputSerializer(serializers.ModelSerializer):
    campaign = key_out(Campaign)

    class Meta:
        model = EmailSend
        fields = [
            "id",
            "key",
            "name",
            "sent_at",
            "campaign",
            "sent",
            "delivered",
            "unique_opens",
            "unique_clicks",
            "unsubscribes",
            "bounces",
            "complaints",
            "updated_at",
        ]
        read_only_fields = fields


class EmailSendInputSerializer(serializers.Serializer):
    key = key_in()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text=_("Default: the key."))
    sent_at = DateTimeField(help_text=_("Naive values are in the client's time zone."))
    campaign = key_of(Campaign)
    sent = count(required=False)
    delivered = count(required=False)
    unique_opens = count(required=False)
    unique_clicks = count(required=False)
    unsubscribes = count(required=False)
    bounces = count(required=False)
    complaints = count(required=False)
