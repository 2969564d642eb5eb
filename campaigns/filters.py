"""Filters of the marketing data lists (API). Related objects are named by their key."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    CTA,
    Campaign,
    CTAStat,
    EmailSend,
    FactSource,
    KeywordStat,
    LandingPage,
    Offer,
    Spend,
    Traffic,
)
from config.api_inputs import IsoDateTimeFilter


class _TextSearch(django_filters.FilterSet):
    """``q``: every word must appear in the key or the name."""

    q = django_filters.CharFilter(method="filter_text", label=_("Search (key, name)"))
    text_fields: tuple[str, ...] = ("key", "name")

    def filter_text(self, queryset, name, value):
        for word in value.split():
            condition = Q()
            for field in self.text_fields:
                condition |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


class CampaignFilter(_TextSearch):
    status = django_filters.MultipleChoiceFilter(choices=Campaign.Status.choices, label=_("Status"))
    channel = django_filters.CharFilter(field_name="channel__key", label=_("Channel key"))
    text_fields = ("key", "name", "utm_campaign")

    class Meta:
        model = Campaign
        fields: list[str] = []


class OfferFilter(_TextSearch):
    kind = django_filters.MultipleChoiceFilter(choices=Offer.Kind.choices, label=_("Kind"))

    class Meta:
        model = Offer
        fields: list[str] = []


class LandingPageFilter(_TextSearch):
    offer = django_filters.CharFilter(field_name="offer__key", label=_("Offer key"))
    campaign = django_filters.CharFilter(field_name="campaign__key", label=_("Campaign key"))
    text_fields = ("key", "name", "url")

    class Meta:
        model = LandingPage
        fields: list[str] = []


class CTAFilter(_TextSearch):
    landing_page = django_filters.CharFilter(field_name="landing_page__key", label=_("Landing page key"))

    class Meta:
        model = CTA
        fields: list[str] = []


class _DailyFactFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From (this day included)"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To (this day included)"))


class SpendFilter(_DailyFactFilter):
    campaign = django_filters.CharFilter(field_name="campaign__key", label=_("Campaign key"))
    channel = django_filters.CharFilter(field_name="campaign__channel__key", label=_("Channel key (of the campaign)"))

    class Meta:
        model = Spend
        fields: list[str] = []


class TrafficFilter(_DailyFactFilter):
    channel = django_filters.CharFilter(field_name="channel__key", label=_("Channel key"))
    landing_page = django_filters.CharFilter(field_name="landing_page__key", label=_("Landing page key"))
    campaign = django_filters.CharFilter(
        field_name="landing_page__campaign__key", label=_("Campaign key (of the landing page)")
    )
    source = django_filters.ChoiceFilter(choices=FactSource.choices, label=_("Source"))

    class Meta:
        model = Traffic
        fields: list[str] = []


class CTAStatFilter(_DailyFactFilter):
    cta = django_filters.CharFilter(field_name="cta__key", label=_("Call-to-action key"))
    landing_page = django_filters.CharFilter(
        field_name="cta__landing_page__key", label=_("Landing page key (of the call-to-action)")
    )
    source = django_filters.ChoiceFilter(choices=FactSource.choices, label=_("Source"))

    class Meta:
        model = CTAStat
        fields: list[str] = []


class KeywordStatFilter(_DailyFactFilter):
    channel = django_filters.CharFilter(field_name="channel__key", label=_("Channel key"))
    keyword = django_filters.CharFilter(field_name="keyword", lookup_expr="icontains", label=_("Keyword contains"))

    class Meta:
        model = KeywordStat
        fields: list[str] = []


class EmailSendFilter(_TextSearch):
    sent_from = IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte", label=_("Sent from"))
    sent_to = IsoDateTimeFilter(field_name="sent_at", lookup_expr="lt", label=_("Sent before"))
    campaign = django_filters.CharFilter(field_name="campaign__key", label=_("Campaign key"))

    class Meta:
        model = EmailSend
        fields: list[str] = []
