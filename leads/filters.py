"""Lead filters shared by the API list and the sales screens' list (one definition)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.api_inputs import IsoDateTimeFilter
from leads.models import Lead, Stage


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label=_("Stage"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner (user id)"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("My leads"))
    channel = django_filters.CharFilter(field_name="channel__key", label=_("Channel key"))
    campaign = django_filters.CharFilter(field_name="campaign__key", label=_("Campaign key"))
    offer = django_filters.CharFilter(field_name="offer__key", label=_("Offer key"))
    created_from = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("Created from"))
    created_to = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Created before"))
    lost = django_filters.BooleanFilter(field_name="is_lost", label=_("Lost"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search (email, name, company)"))

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None and user.is_authenticated:
            return queryset.filter(owner_id=user.pk)
        return queryset

    def filter_text(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(email__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(company__icontains=word)
            )
        return queryset
