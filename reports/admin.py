"""Report schedules and their delivery log in the client admin; schedules through the page's form
(the same rule as the API and the command)."""

from __future__ import annotations

from django.contrib import admin

from reports import services
from reports.forms import ReportScheduleForm
from reports.models import ReportDelivery, ReportSchedule, ReportUnsubscribe
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


def _by_agency(request) -> bool:
    access = getattr(request, "client_access", None)
    return bool(access and access.is_agency)


def partialclass(form_class, **bound):
    """``form_class`` with keyword arguments bound (the admin instantiates it itself)."""

    class Bound(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **(bound | kwargs))

    Bound.__name__ = form_class.__name__
    return Bound


@admin.register(ReportSchedule, site=tenant_admin_site)
class ReportScheduleAdmin(TenantModelAdmin):
    form = ReportScheduleForm
    list_display = ["name", "frequency", "language", "requires_approval", "active"]
    list_filter = ["frequency", "active", "requires_approval"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return partialclass(form, by_agency=_by_agency(request))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.FIELDS}
        if change:
            services.schedule_update(obj, by_agency=_by_agency(request), **fields)
            return
        created = services.schedule_create(**fields, created_by=request.user)
        obj.pk, obj.created_at, obj.updated_at = created.pk, created.created_at, created.updated_at


@admin.register(ReportDelivery, site=tenant_admin_site)
class ReportDeliveryAdmin(TenantModelAdmin):
    """The log: read only (deliveries are written by the worker, approvals by the page and the API)."""

    list_display = ["schedule", "period_start", "period_end", "trigger", "status", "attempts", "sent_at"]
    list_filter = ["status", "trigger"]
    list_select_related = ["schedule"]
    exclude = ["pdf"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReportUnsubscribe, site=tenant_admin_site)
class ReportUnsubscribeAdmin(TenantModelAdmin):
    list_display = ["email", "schedule", "created_at"]
    list_select_related = ["schedule"]
    search_fields = ["email"]
