"""Report API shapes. Every field rule is ``reports.rules.schedule_fields_checked``'s (the same words
as the page's form, the admin and the command)."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.errors import DomainError
from reports import rules
from reports.models import ReportDelivery, ReportSchedule
from reports.services import FIELDS
from tenants.zones import client_zone

DEFAULTS = {
    "weekday": 0,
    "day_of_month": 1,
    "hour": 8,
    "sections": None,
    "requires_approval": False,
    "active": True,
}


class ReportScheduleSerializer(serializers.ModelSerializer):
    # Loose types: the rule refuses, in its words (DRF's own checks would answer first).
    name = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=_("1-200 characters."))
    frequency = serializers.CharField(help_text=_("weekly or monthly."))
    language = serializers.CharField(help_text=_("fr or en: the report's and its email's language."))
    recipients = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text=_("1-50 email addresses: the client's members and external addresses."),
    )
    sections = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text=_("The report's sections, in order (empty: all of them)."),
    )
    weekday = serializers.IntegerField(required=False, help_text=_("Weekly: 0 (Monday) to 6 (Sunday)."))
    day_of_month = serializers.IntegerField(
        required=False, help_text=_("Monthly: 1 to 31; a month without that day: its last day.")
    )
    hour = serializers.IntegerField(required=False, help_text=_("0-23, in the client's time zone."))
    requires_approval = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    created_by = serializers.SerializerMethodField(help_text=_("The email of who created it."))
    next_run = serializers.SerializerMethodField(help_text=_("When it is next sent (null: inactive)."))

    class Meta:
        model = ReportSchedule
        fields = ["id", *FIELDS, "created_by", "next_run", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "next_run", "created_at", "updated_at"]

    def get_created_by(self, schedule: ReportSchedule) -> str | None:
        return schedule.created_by.email if schedule.created_by_id and schedule.created_by else None

    def get_next_run(self, schedule: ReportSchedule) -> str | None:
        if not schedule.active:
            return None
        return rules.next_run(schedule, now=timezone.now(), zone=client_zone(connection.tenant)).isoformat()

    def validate(self, attrs):
        if self.instance is not None and self.partial:
            base = {name: getattr(self.instance, name) for name in FIELDS}
        else:
            base = dict(DEFAULTS)
        try:
            return rules.schedule_fields_checked(**(base | attrs))
        except DomainError as error:
            raise serializers.ValidationError(error.as_dict()) from error


class ReportDeliverySerializer(serializers.ModelSerializer):
    approved_by = serializers.SerializerMethodField(help_text=_("The email of who approved or rejected it."))
    has_pdf = serializers.SerializerMethodField(help_text=_("Whether its PDF is rendered (the draft's preview)."))

    class Meta:
        model = ReportDelivery
        fields = [
            "id",
            "schedule",
            "period_start",
            "period_end",
            "trigger",
            "status",
            "sent_to",
            "error",
            "attempts",
            "approved_by",
            "approved_at",
            "sent_at",
            "created_at",
            "has_pdf",
        ]
        read_only_fields = fields

    def get_approved_by(self, delivery: ReportDelivery) -> str | None:
        return delivery.approved_by.email if delivery.approved_by_id and delivery.approved_by else None

    def get_has_pdf(self, delivery: ReportDelivery) -> bool:
        has = getattr(delivery, "has_pdf", None)
        return bool(has) if has is not None else delivery.pdf is not None


class PeriodSerializer(serializers.Serializer):
    period_start = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("A day of the week or month to report (default: the last complete one)."),
    )
