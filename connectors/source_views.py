"""The sources page of one client account (/c/<slug>/sources/): for each platform, the account it
is fed from (chosen from the accounts the agency's connection reads, listed live, or typed), its
health, "Sync now" and "Remove" (keeping or deleting its data); then the ad platforms' campaigns
and the Pouls campaign each counts in. The client's managers and agency people only: anyone else
gets a 404, as for the client's settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Campaign, FactCoverage, PlatformCampaign
from config.errors import DomainError
from connectors import source_services as services
from connectors.models import PROVIDER_OF_KIND, Source, SourceKind
from connectors.source_forms import SourceForm
from connectors.source_rules import active_connection
from tenants.zones import client_zone


def _managers_only(request: HttpRequest) -> None:
    if not request.client_access.can_manage:
        raise Http404("Managers and agency people only")


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("sources"))


def _source(request: HttpRequest, pk: int) -> Source:
    source = Source.objects.filter(client_id=request.tenant.pk, pk=pk).select_related("connection").first()
    if source is None:
        raise Http404("No such source")
    return source


def _accounts(grant, kind: str) -> tuple[list, str]:
    """The accounts to choose from, or none and why (the id field stays)."""
    try:
        return services.accounts_listed(grant, kind), ""
    except services.AccountsUnavailable as error:
        return [], error.message


def _panel(request: HttpRequest, kind: str, source: Source | None, coverage: dict, posted=None) -> dict:
    grant = active_connection(request.tenant.agency_id, kind)
    panel = {
        "kind": kind,
        "label": SourceKind(kind).label,
        "provider": PROVIDER_OF_KIND[SourceKind(kind)].label,
        "connected": grant is not None,
        "source": source,
        "form": None,
        "accounts_error": "",
    }
    if source is not None:
        cover = coverage.get(kind)
        panel["days_covered"] = (cover.last_day - cover.first_day).days + 1 if cover else 0
        zone = client_zone(request.tenant)
        panel["next_run"] = source.next_run_at.astimezone(zone) if source.next_run_at else None
        panel["last_success"] = source.last_success_at.astimezone(zone) if source.last_success_at else None
    show_form = grant is not None and (source is None or request.GET.get("change") == kind or posted is not None)
    if show_form:
        accounts, panel["accounts_error"] = _accounts(grant, kind)
        panel["form"] = posted or SourceForm(client=request.tenant, kind=kind, accounts=accounts, source=source)
    return panel


def _page(request: HttpRequest, posted: SourceForm | None = None, status: int = 200) -> HttpResponse:
    sources = {s.kind: s for s in Source.objects.filter(client_id=request.tenant.pk).select_related("connection")}
    coverage = {c.source: c for c in FactCoverage.objects.all()}
    panels = [
        _panel(request, kind, sources.get(kind), coverage, posted if posted and posted.kind == kind else None)
        for kind in SourceKind.values
    ]
    context = {
        "panels": panels,
        "platform_campaigns": PlatformCampaign.objects.select_related("campaign").order_by("source", "name", "pk"),
        "campaigns": Campaign.objects.order_by("name"),
        "zone": client_zone(request.tenant).key,
    }
    return render(request, "connectors/sources.html", context, status=status)


@require_GET
def sources_page(request: HttpRequest) -> HttpResponse:
    _managers_only(request)
    return _page(request)


@require_POST
def source_choose(request: HttpRequest, kind: str) -> HttpResponse:
    _managers_only(request)
    if kind not in SourceKind.values:
        raise Http404("No such platform")
    source = Source.objects.filter(client_id=request.tenant.pk, kind=kind).first()
    grant = active_connection(request.tenant.agency_id, kind)
    accounts = _accounts(grant, kind)[0] if grant else []
    form = SourceForm(request.POST, client=request.tenant, kind=kind, accounts=accounts, source=source)
    if not form.is_valid():
        return _page(request, form, status=400)
    checked = form.cleaned_data["checked"]
    fields = {
        "external_id": checked.external_id,
        "login_customer_id": checked.login_customer_id,
        "external_name": form.cleaned_data["external_name"],
    }
    try:
        if source is None:
            services.source_create(request.tenant, kind=kind, **fields, created_by=request.user)
        else:
            services.source_update(source, **fields)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _page(request, form, status=400)
    messages.success(request, _("The account is chosen: its history is being read."))
    return _back()


@require_POST
def source_sync(request: HttpRequest, pk: int) -> HttpResponse:
    _managers_only(request)
    try:
        services.source_sync_requested(_source(request, pk))
    except DomainError as error:
        messages.error(request, error.message)
        return _back()
    messages.success(request, _("The sync is on its way."))
    return _back()


@require_POST
def source_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _managers_only(request)
    keep = request.POST.get("keep_data") != "no"
    services.source_delete(_source(request, pk), keep_data=keep)
    if keep:
        messages.success(request, _("The source is removed; the data it synced stays."))
    else:
        messages.success(request, _("The source and the data it synced are removed; imported data counts again."))
    return _back()


@require_POST
def platform_campaign_remap(request: HttpRequest, pk: int) -> HttpResponse:
    _managers_only(request)
    row = PlatformCampaign.objects.filter(pk=pk).first()
    key = request.POST.get("campaign", "")
    campaign = Campaign.objects.filter(key=key).first() if key else None
    if row is None:
        raise Http404("No such platform campaign")
    if campaign is None:
        messages.error(request, _("No campaign has this key."))
        return _back()
    services.platform_campaign_update(row, campaign)
    messages.success(request, _("The campaign is remapped: its spend is being read again."))
    return _back()
