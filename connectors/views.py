"""The connections page (public schema, /connections/): an agency's Google and Meta connections, how to
connect one, reconnect a broken one or disconnect it; and the OAuth round trip (``start`` sends the
browser to the platform's consent screen, ``callback`` takes the code back).

Who may is ``connectors.connection_rules`` (agency owners and staff); the platforms are
``connectors.oauth``; every write is ``connectors.services``. A callback whose state is missing, forged,
expired or already used is refused with a 400 and stores nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from connectors import oauth
from connectors.connection_rules import agencies_connecting, connection_of, connections_for
from connectors.errors import ConnectorError, NotConfigured
from connectors.models import Connection, Provider, Source
from connectors.services import connection_connect, connection_disconnect
from tenants.agency_rules import agency_named

logger = logging.getLogger(__name__)


@dataclass
class PlatformPanel:
    """One platform for one agency, as the page shows it."""

    provider: str
    name: str
    connection: Connection | None
    missing: list[str]
    optional: list[str]  # settings a part of the platform needs (Google Ads' developer token)
    redirect_uri: str
    sources: list[Source] = field(default_factory=list)


@dataclass
class AgencyPanel:
    agency: object
    platforms: list[PlatformPanel]


def _agencies(request: HttpRequest) -> list:
    agencies = agencies_connecting(request.user)
    if not agencies:
        raise PermissionDenied(_("Only agency owners and staff connect platform accounts."))
    return agencies


def _panels(agencies: list) -> list[AgencyPanel]:
    connections = {(c.agency_id, c.provider): c for c in connections_for(agencies)}
    sources: dict[int, list[Source]] = {}
    for source in Source.objects.filter(connection__in=connections.values()).select_related("client"):
        sources.setdefault(source.connection_id, []).append(source)
    panels = []
    for agency in agencies:
        platforms = []
        for provider in Provider:
            connection = connections.get((agency.pk, provider.value))
            optional = []
            if provider == Provider.GOOGLE:
                optional = [oauth.GOOGLE_ADS_SETTING] if not settings.POULS_GOOGLE_ADS_DEVELOPER_TOKEN else []
            platforms.append(
                PlatformPanel(
                    provider=provider.value,
                    name=provider.label,
                    connection=connection,
                    missing=oauth.missing_settings(provider),
                    optional=optional,
                    redirect_uri=oauth.redirect_uri(provider),
                    sources=sources.get(connection.pk, []) if connection else [],
                )
            )
        panels.append(AgencyPanel(agency, platforms))
    return panels


def _page(request: HttpRequest, *, refusal: str = "", status: int = 200) -> HttpResponse:
    agencies = _agencies(request)
    return render(
        request,
        "connectors/connections.html",
        {"panels": _panels(agencies), "several": len(agencies) > 1, "refusal": refusal},
        status=status,
    )


def _provider(provider: str) -> str:
    if provider not in Provider.values:
        raise Http404()
    return provider


@login_required
@require_GET
def connections_view(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def connection_start_view(request: HttpRequest, provider: str) -> HttpResponse:
    """Send the browser to the platform's consent screen (a POST: it starts a write, behind CSRF)."""
    provider = _provider(provider)
    agency = agency_named(_agencies(request), request.POST.get("agency"))
    if agency is None:
        raise Http404()
    try:
        oauth.require_configured(provider)
    except NotConfigured as exc:
        messages.error(request, exc.message)
        return redirect(reverse("connections"))
    state, verifier = oauth.pending_start(request.session, provider=provider, agency_id=agency.pk)
    return redirect(oauth.authorization_url(provider, state=state, code_verifier=verifier))


@login_required
@require_GET
def connection_callback_view(request: HttpRequest, provider: str) -> HttpResponse:
    """The platform sends the browser back here with a code (or an error) and the state it was given."""
    provider = _provider(provider)
    agencies = _agencies(request)
    pending = oauth.pending_take(request.session, provider=provider, state=request.GET.get("state"))
    if pending is None:
        return _page(
            request,
            refusal=_(
                "This connection attempt is not valid: it expired, was already used, or did not start here. "
                "Nothing was connected; start again from this page."
            ),
            status=400,
        )
    agency = agency_named(agencies, pending.agency_id)
    if agency is None:  # no longer owner or staff of that agency since the start
        raise PermissionDenied(_("Only agency owners and staff connect platform accounts."))
    if request.GET.get("error"):
        if request.GET["error"] == "access_denied":
            messages.warning(request, _("You declined the access: nothing was connected."))
        else:
            messages.error(
                request,
                _("The platform did not give access (%(error)s): nothing was connected.")
                % {"error": request.GET["error"][:100]},
            )
        return redirect(reverse("connections"))
    code = request.GET.get("code")
    if not code:
        return _page(request, refusal=_("The platform sent no authorization code: nothing was connected."), status=400)
    try:
        grant = oauth.exchange_code(provider, code=code, code_verifier=pending.code_verifier)
    except ConnectorError as exc:
        logger.warning("OAuth code exchange for agency %s (%s) failed: %s", agency.pk, provider, exc.message)
        messages.error(request, _("The connection failed: %(reason)s") % {"reason": exc.message})
        return redirect(reverse("connections"))
    connection_connect(agency=agency, provider=provider, grant=grant, actor=request.user)
    messages.success(request, _("%(platform)s is connected.") % {"platform": Provider(provider).label})
    return redirect(reverse("connections"))


@login_required
@require_POST
def connection_disconnect_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = connection_of(_agencies(request), pk)
    if connection is None:
        raise Http404()
    try:
        connection_disconnect(connection, request.user)
    except NotConfigured as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(platform)s is disconnected.") % {"platform": connection.get_provider_display()})
    return redirect(reverse("connections"))
