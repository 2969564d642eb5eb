"""Client admin of the calls-to-action, the daily facts and the email sends.

The forms (``campaigns.admin_forms``) validate with the same rules as the API and the imports. Rows the
tracking snippet counted (source “tracking”) can be viewed, not edited; new rows are imported ones.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campaigns.admin_forms import EmailSendForm, FactForm, KeyedForm, KeywordStatForm
from campaigns.models import CTA, CTAStat, EmailSend, FactSource, KeywordStat, MetricValue, Spend, Traffic
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


class _FactAdmin(TenantModelAdmin):
    form = FactForm
    date_hierarchy = "date"
    readonly_fields = ["updated_at"]


class _TrackedFactAdmin(_FactAdmin):
    """Facts that imports and the tracking snippet both write: tracked rows are view-only here."""

    readonly_fields = ["source", "updated_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        tracked = obj is not None and obj.source != FactSource.IMPORT
        return super().has_change_permission(request, obj) and not tracked


@admin.register(CTA, site=tenant_admin_site)
class CTAAdmin(TenantModelAdmin):
    form = KeyedForm
    list_display = ["key", "name", "landing_page"]
    list_filter = [("landing_page", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["key", "name", "landing_page__key"]
    list_select_related = ["landing_page"]
    autocomplete_fields = ["landing_page"]


@admin.register(Spend, site=tenant_admin_site)
class SpendAdmin(_FactAdmin):
    fields = ["date", "campaign", "amount", "updated_at"]
    list_display = ["date", "campaign", "amount", "updated_at"]
    list_filter = [
        ("campaign", admin.RelatedOnlyFieldListFilter),
        ("campaign__channel", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["campaign__key", "campaign__name"]
    list_select_related = ["campaign"]
    autocomplete_fields = ["campaign"]


@admin.register(Traffic, site=tenant_admin_site)
class TrafficAdmin(_TrackedFactAdmin):
    fields = ["date", "channel", "landing_page", "visits", "source", "updated_at"]
    list_display = ["date", "channel", "landing_page", "source", "visits"]
    list_filter = [
        "source",
        ("channel", admin.RelatedOnlyFieldListFilter),
        ("landing_page", admin.RelatedOnlyFieldListFilter),
        ("landing_page__campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["landing_page__key", "landing_page__name", "channel__key"]
    list_select_related = ["channel", "landing_page"]
    autocomplete_fields = ["channel", "landing_page"]


@admin.register(CTAStat, site=tenant_admin_site)
class CTAStatAdmin(_TrackedFactAdmin):
    fields = ["date", "cta", "views", "clicks", "source", "updated_at"]
    list_display = ["date", "cta", "source", "views", "clicks"]
    list_filter = [
        "source",
        ("cta", admin.RelatedOnlyFieldListFilter),
        ("cta__landing_page__campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["cta__key", "cta__name"]
    list_select_related = ["cta"]
    autocomplete_fields = ["cta"]


@admin.register(KeywordStat, site=tenant_admin_site)
class KeywordStatAdmin(_FactAdmin):
    form = KeywordStatForm
    fields = ["date", "keyword", "channel", "visits", "impressions", "updated_at"]
    list_display = ["date", "keyword", "channel", "visits", "impressions"]
    list_filter = [("channel", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["keyword"]
    list_select_related = ["channel"]
    autocomplete_fields = ["channel"]


@admin.register(EmailSend, site=tenant_admin_site)
class EmailSendAdmin(TenantModelAdmin):
    form = EmailSendForm
    date_hierarchy = "sent_at"
    list_display = [
        "key",
        "name",
        "sent_at",
        "campaign",
        "sent",
        "delivered",
        "unique_opens",
        "unique_clicks",
        "unsubscribes",
    ]
    list_filter = [
        ("campaign", admin.RelatedOnlyFieldListFilter),
        ("campaign__channel", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["key", "name", "campaign__key"]
    list_select_related = ["campaign"]
    autocomplete_fields = ["campaign"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["key", "name", "sent_at", "campaign"]}),
        (_("Counters"), {"fields": [*EmailSend.COUNTERS, "updated_at"]}),
    ]


@admin.register(MetricValue, site=tenant_admin_site)
class MetricValueAdmin(TenantModelAdmin):
    """Imported metrics (the ``metrics`` import, docs/imports.md): browsed and deleted here, brought in
    or corrected by importing a file (its rules: ``campaigns.rules.metric_name_normalised``)."""

    list_display = ["date", "metric", "key", "value", "updated_at"]
    list_filter = ["metric"]
    search_fields = ["metric", "key"]
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
