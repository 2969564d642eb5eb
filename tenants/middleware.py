"""Request plumbing for tenancy: which client a path names, who may enter it, which language."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.urls import set_urlconf
from django.utils import timezone, translation
from django_tenants.middleware.subfolder import TenantSubfolderMiddleware
from django_tenants.utils import get_public_schema_name, get_subfolder_prefix, get_tenant_domain_model, get_tenant_model
from rest_framework.views import APIView

from tenants.access import client_access_for, client_is_reachable
from tenants.models import Client
from tenants.selectors import user_preferred_language
from tenants.urlconfs import client_urlconfs, unknown_slug_urlconfs
from tenants.zones import client_zone

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ClientSubfolderMiddleware(TenantSubfolderMiddleware):
    """django-tenants' subfolder routing (/c/<slug>/…), with two changes.

    Each client's URLconf module is built once and reused (``tenants.urlconfs``): django-tenants
    builds one per request and empties Django's URL caches, which leaked a module per request and
    re-populated the resolver on every reverse. The prefix is fixed in each module, so nothing of
    one client's routing can reach another's.

    An unknown slug is routed like a real client, in the public schema, with a client that can
    never be entered. Every check downstream then answers exactly as for a client the user may not
    see (anonymous: login redirect; signed in: 404), so a URL never reveals whether a client exists.
    """

    def process_request(self, request):
        # django-tenants' own process_request, less its clear_url_caches() and with cached URLconfs.
        if hasattr(request, "tenant"):
            return
        connection.set_schema_to_public()
        hostname = self.hostname_from_request(request)
        prefix = f"/{get_subfolder_prefix()}/"
        if not request.path.startswith(prefix):
            tenant_model = get_tenant_model()
            try:
                tenant = tenant_model.objects.get(schema_name=get_public_schema_name())
            except tenant_model.DoesNotExist:
                raise self.TENANT_NOT_FOUND_EXCEPTION("Unable to find public tenant") from None
            self.setup_url_routing(request, force_public=True)
            urlconf = None
        else:
            slug = request.path[len(prefix) :].split("/")[0]
            domain_model = get_tenant_domain_model()
            try:
                tenant = self.get_tenant(domain_model=domain_model, hostname=slug)
            except domain_model.DoesNotExist:
                return self.no_tenant_found(request, slug)
            tenant.domain_subfolder = slug
            urlconf = client_urlconfs.for_client(tenant)
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        if urlconf is not None:
            request.urlconf = urlconf
            set_urlconf(urlconf)

    def no_tenant_found(self, request, hostname):
        if not _SLUG_RE.match(hostname):
            raise Http404("No such client account")
        unknown = Client(schema_name=get_public_schema_name(), slug=hostname, name="", is_active=False)
        unknown.domain_subfolder = hostname
        unknown.domain_url = self.hostname_from_request(request)
        request.tenant = unknown
        connection.set_schema_to_public()
        request.urlconf = unknown_slug_urlconfs.for_client(unknown)
        set_urlconf(request.urlconf)


def client_public_endpoint(view):
    """Mark a tenant view as open to anonymous callers (form capture, tracking, webhooks).

    The client must still exist and be active; authentication is the view's own business.
    """
    view.client_public_endpoint = True
    return view


def client_team_only(view):
    """Mark a tenant page as the client team's (agency people, managers, sales): a client's
    viewers get 403 there, since their product is the dashboard and nothing else."""
    view.client_team_only = True
    return view


def _is_drf_view(view_func) -> bool:
    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


class ClientAccessMiddleware:
    """Every tenant page passes here. API views are checked by their DRF permission instead,
    because token authentication happens inside DRF."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        client = getattr(request, "tenant", None)
        if client is None or (client.pk is not None and client.schema_name == get_public_schema_name()):
            return None  # public pages: login, portfolio, platform admin
        if getattr(view_func, "client_public_endpoint", False):
            if not client_is_reachable(client):
                raise Http404("No such client account")
            return None
        if _is_drf_view(view_func):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        access = client_access_for(request.user, client)
        if access is None:
            raise Http404("No such client account")
        request.client_access = access
        if getattr(view_func, "client_team_only", False) and not access.can_write:
            raise PermissionDenied("The dashboard only")
        if request.method not in SAFE_METHODS and not access.can_write:
            raise PermissionDenied("Read-only access")
        return None


class UserLanguageMiddleware:
    """Speak the signed-in user's language (their own choice, else their agency's default) unless
    they picked one with the language switch (the cookie), which always wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        if request.user.is_authenticated and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = user_preferred_language(request.user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            # Remember it so later requests need no query (unless the view just set a choice).
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response


class ClientTimezoneMiddleware:
    """Inside a client, dates are the client's: pages show its local time and naive timestamps sent
    to its API are read in its zone (docs/kpis.md §1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        client = getattr(request, "tenant", None)
        if client is not None and client_is_reachable(client):
            timezone.activate(client_zone(client))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
