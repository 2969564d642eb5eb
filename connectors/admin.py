"""Platform connections in the platform admin: what each agency connected and its health, never the
tokens (not even encrypted). Read-only; deleting one disconnects it (revoked at the platform, best effort)."""

from __future__ import annotations

from django.contrib import admin

from connectors.errors import NotConfigured
from connectors.models import Connection
from connectors.services import connection_disconnect

SHOWN = [
    "agency",
    "provider",
    "account_label",
    "status",
    "broken_reason",
    "expires_at",
    "scopes",
    "connected_by",
    "connected_at",
    "updated_at",
]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["agency", "provider", "account_label", "status", "connected_at"]
    list_filter = ["provider", "status"]
    search_fields = ["agency__name", "account_label"]
    list_select_related = ["agency"]
    fields = SHOWN
    readonly_fields = SHOWN
    actions = None  # a bulk delete would skip the revocation

    def has_add_permission(self, request) -> bool:
        return False  # a connection is made through the platform's consent screen

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        try:
            connection_disconnect(obj, request.user)
        except NotConfigured:  # no app credentials to revoke with: the platform admin still removes it
            obj.delete()
