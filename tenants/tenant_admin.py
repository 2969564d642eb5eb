"""The admin of one client account, under /c/<slug>/admin/.

Entry goes through the same access check as every tenant page: agency people and the client's
managers get in; sales and viewers do not. Model permissions follow the role, not Django's
per-user permission table (users live in the public schema and serve many clients).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from tenants.access import client_access_for


def _access(request):
    if not hasattr(request, "client_access"):
        request.client_access = client_access_for(request.user, getattr(request, "tenant", None))
    return request.client_access


class TenantAdminSite(admin.AdminSite):
    site_header = _("Pouls · client administration")
    site_title = _("Pouls client admin")
    index_title = _("Client data")

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.pk:
            context["site_header"] = f"{tenant.name} · Pouls"
        return context

    def has_permission(self, request) -> bool:
        access = _access(request)
        return access is not None and access.can_manage

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            # A signed-in member without a managing role gets a plain refusal, not a login loop.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied(_("Your role does not include this client's administration."))
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request, extra_context=None):
        # One login for the whole product; a signed-in user without a managing role is refused.
        if request.user.is_authenticated:
            raise PermissionDenied(_("Your role does not include this client's administration."))
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

    def logout(self, request, extra_context=None):
        from django.contrib.auth.views import LogoutView

        return LogoutView.as_view(next_page=settings.LOGOUT_REDIRECT_URL)(request)


tenant_admin_site = TenantAdminSite(name="tenant_admin")


class ObjectIdLookup:
    """An object id in a change, delete or history URL that cannot name a row is the admin's usual
    "does not exist" (a redirect with a message), never a database error. Django's own lookup already
    refuses ``abc`` for a number; text ids with a NUL character would reach PostgreSQL, which refuses them."""

    def get_object(self, request, object_id, from_field=None):
        if "\x00" in str(object_id):
            return None
        return super().get_object(request, object_id, from_field)


class TenantModelAdmin(ObjectIdLookup, admin.ModelAdmin):
    """Managers of the client may do everything; nobody else gets past the site anyway."""

    def _can_manage(self, request) -> bool:
        access = _access(request)
        return access is not None and access.can_manage

    def has_module_permission(self, request) -> bool:
        return self._can_manage(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._can_manage(request)

    def has_add_permission(self, request) -> bool:
        return self._can_manage(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._can_manage(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._can_manage(request)
