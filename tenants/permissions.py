"""DRF side of the access check (the default permission class of every API view)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenants.access import ClientAccess, client_access_for


def _access(request) -> ClientAccess | None:
    """Resolve once per request; an API view may check several permissions."""
    django_request = getattr(request, "_request", request)
    if getattr(django_request, "client_access_user_id", object()) != request.user.pk:
        django_request.client_access = client_access_for(request.user, getattr(django_request, "tenant", None))
        django_request.client_access_user_id = request.user.pk
    return django_request.client_access


class ClientMemberPermission(BasePermission):
    """Members of the current client may read; everyone but viewers may write.

    Anonymous requests get DRF's 401/403; authenticated users without access get 404, exactly as
    for a client that does not exist. Outside a client (public schema) it refuses everything:
    public API views must declare their own permission.
    """

    message = _("Your role in this client account is read-only.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = _access(request)
        if access is None:
            raise NotFound()
        return request.method in SAFE_METHODS or self.allows_write(access)

    def allows_write(self, access: ClientAccess) -> bool:
        return access.can_write


class ClientManagerPermission(ClientMemberPermission):
    """Reads for members; writes for agency people and the client's managers."""

    message = _("Only a manager of this client account may do this.")

    def allows_write(self, access: ClientAccess) -> bool:
        return access.can_manage


class ClientTeamPermission(ClientMemberPermission):
    """The client's team only: agency people, managers and sales read and write; a client's
    viewers, whose product is the dashboard, are refused even reads (403)."""

    message = _("Your role in this client account gives access to the dashboard only.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and _access(request).can_write
