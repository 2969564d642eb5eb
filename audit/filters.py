"""Filters of the audit log, one definition for the page and the API: client (its slug), action, and a
range of days (both included). Days are read in the current time zone (UTC outside a client) and must
lie within the project's date bounds (config/dates.py); a bad value is a field error, never a 500."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction, AuditEvent
from config.dates import date_refusal
from tenants.models import Client


class BoundedDateField(forms.DateField):
    """A day in ISO form (YYYY-MM-DD) between the project's bounds."""

    input_formats = ["%Y-%m-%d"]

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None and (refusal := date_refusal(value)) is not None:
            raise forms.ValidationError(refusal, code="out_of_bounds")


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class AuditFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The last day comes before the first."))
        return data


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEventFilter(django_filters.FilterSet):
    client = django_filters.ModelChoiceFilter(
        field_name="client", to_field_name="slug", queryset=Client.objects.none(), label=_("Client account")
    )
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    date_from = BoundedDateFilter(method="filter_from", label=_("From (this day included)"))
    date_to = BoundedDateFilter(method="filter_to", label=_("To (this day included)"))

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = AuditFilterForm

    def __init__(self, *args, clients=None, **kwargs):
        """``clients``: the client accounts the reader may filter by (audit.selectors.AuditReader.clients);
        any other slug is refused like one that does not exist."""
        super().__init__(*args, **kwargs)
        self.filters["client"].queryset = clients if clients is not None else Client.objects.none()

    def filter_from(self, queryset, name, value: date):
        return queryset.filter(at__gte=_day_start(value))

    def filter_to(self, queryset, name, value: date):
        return queryset.filter(at__lt=_day_start(value + timedelta(days=1)))
