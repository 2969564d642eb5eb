"""KPI screens of the client admin: snapshots and anomalies to browse, objectives and the amber
threshold to edit (through kpis.services), the refresh log, and a refresh on demand."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.channels import channel_label
from config.errors import DomainError
from kpis import services
from kpis.custom.definitions import kpi_choices, kpi_name
from kpis.custom.forms import CustomKPIForm
from kpis.custom.services import custom_kpi_delete, custom_kpi_save
from kpis.forms import KPISettingsForm, ObjectiveTargetForm
from kpis.models import CustomKPI, Direction, KPISettings, Objective, RefreshRun, Snapshot
from kpis.targets import amber_margin_for_entry, kpi_value_shown
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


class ReadOnlyAdmin(TenantModelAdmin):
    """Computed rows: browsable, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.display(description=_("key"), ordering="key")
def shown_key(obj) -> str:
    """A row's key; a built-in channel's in the reader's language (campaigns.channels.channel_label)."""
    if not obj.dimension:
        return "—"
    if not obj.key:
        return _("(none)")
    return channel_label(obj.key, obj.key) if obj.dimension == "channel" else obj.key


@admin.display(description=_("KPI"), ordering="kpi")
def shown_kpi(obj) -> str:
    """A row's KPI by its name in the reader's language, a custom one's included."""
    return kpi_name(obj.kpi)


class KPIFilter(admin.SimpleListFilter):
    """The KPIs by name, the client's custom ones included (the column has no fixed choices)."""

    title = _("KPI")
    parameter_name = "kpi__exact"  # the address the field's own filter had

    def lookups(self, request, model_admin):
        return kpi_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kpi=self.value()) if self.value() else queryset


class FlaggedFilter(admin.SimpleListFilter):
    title = _("anomaly")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged")), *Direction.choices]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(anomaly__isnull=False)
        if self.value() in Direction.values:
            return queryset.filter(anomaly=self.value())
        return queryset


@admin.register(Snapshot, site=tenant_admin_site)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        shown_kpi,
        "period",
        "start",
        "dimension",
        shown_key,
        "shown_value",
        "shown_previous_value",
        "shown_change",
        "shown_target",
        "status",
        "anomaly",
        "is_partial",
        "as_of",
    ]
    list_filter = ["period", KPIFilter, "dimension", FlaggedFilter, "status", "is_partial"]
    search_fields = ["key"]
    date_hierarchy = "start"
    ordering = ["-start", "kpi", "dimension", "key"]
    show_full_result_count = False  # a million rows: no COUNT(*) on every page
    actions = ["refresh_now"]

    @admin.display(description=_("value"), ordering="value")
    def shown_value(self, obj):
        return kpi_value_shown(obj.kpi, obj.value)

    @admin.display(description=_("previous period's value"))
    def shown_previous_value(self, obj):
        return kpi_value_shown(obj.kpi, obj.previous_value)

    @admin.display(description=_("change"))
    def shown_change(self, obj):
        return kpi_value_shown(obj.kpi, obj.change)

    @admin.display(description=_("target"))
    def shown_target(self, obj):
        return kpi_value_shown(obj.kpi, obj.target)

    @admin.action(description=_("Refresh this client's KPIs now (in the background)"))
    def refresh_now(self, request, queryset):
        if services.kpi_refresh_request(force=True).failed:
            message = _("The queue cannot be reached right now: the next periodic refresh (every 15 minutes) does it.")
            self.message_user(request, message, messages.WARNING)
        else:
            message = _("A refresh was queued; the numbers update within a minute.")
            self.message_user(request, message, messages.SUCCESS)


@admin.register(Objective, site=tenant_admin_site)
class ObjectiveAdmin(TenantModelAdmin):
    form = ObjectiveTargetForm  # a rate's target typed as a percentage (kpis.forms)
    list_display = [shown_kpi, "period", "dimension", shown_key, "shown_target", "updated_at"]
    list_filter = ["period", KPIFilter, "dimension"]
    search_fields = ["key"]
    fields = ["kpi", "period", "dimension", "key", "target"]

    @admin.display(description=_("target"), ordering="target")
    def shown_target(self, obj):
        return kpi_value_shown(obj.kpi, obj.target)

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in self.fields}
        try:
            saved = services.objective_save(Objective.objects.get(pk=obj.pk) if change else None, **values)
        except DomainError as exc:  # checked in the form already; a race lands here
            raise ValidationError({exc.field or "kpi": exc.message}) from exc
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.objective_delete(obj)

    def delete_queryset(self, request, queryset):
        for objective in queryset:
            services.objective_delete(objective)


@admin.register(CustomKPI, site=tenant_admin_site)
class CustomKPIAdmin(TenantModelAdmin):
    """A client's own KPIs (docs/kpis.md, "Custom KPIs and metrics"), written through kpis.custom.services."""

    form = CustomKPIForm
    list_display = ["name", "key", "formula", "unit", "better", "version", "updated_at"]
    search_fields = ["key", "name", "formula"]
    fields = ["key", "name", "formula", "unit", "better", "dimensions"]
    readonly_fields: list[str] = []

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in self.fields}
        existing = CustomKPI.objects.get(pk=obj.pk) if change else None
        try:
            saved = custom_kpi_save(existing, **values)
        except DomainError as exc:  # checked in the form already; a race lands here
            raise ValidationError({exc.field or "formula": exc.message}) from exc
        obj.pk, obj.version = saved.pk, saved.version

    def delete_model(self, request, obj):
        custom_kpi_delete(obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            custom_kpi_delete(row)


@admin.register(KPISettings, site=tenant_admin_site)
class KPISettingsAdmin(TenantModelAdmin):
    form = KPISettingsForm
    fields = ["amber_margin"]
    list_display = ["__str__", "shown_margin"]

    @admin.display(description=_("amber margin"))
    def shown_margin(self, obj) -> str:
        return f"{amber_margin_for_entry(obj.amber_ratio)} %"

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not KPISettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        saved = services.kpi_settings_update(amber_ratio=form.cleaned_data["amber_ratio"])
        obj.pk = saved.pk


@admin.register(RefreshRun, site=tenant_admin_site)
class RefreshRunAdmin(ReadOnlyAdmin):
    list_display = [
        "as_of",
        "mode",
        "duration_ms",
        "dirty_days",
        "measures_changed",
        "snapshots_changed",
        "anomalies_flagged",
    ]
    list_filter = ["mode"]
    ordering = ["-as_of"]
