"""The audit log in the platform admin: read-only (no add, change or delete, whoever asks; the
database refuses them too)."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_email", "action", "agency", "client", "target"]
    list_filter = ["action", "agency"]
    search_fields = ["actor_email", "target", "client__slug"]
    date_hierarchy = "at"
    list_select_related = ["agency", "client"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    actions = None  # not even "delete selected"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
