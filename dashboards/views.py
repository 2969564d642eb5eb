"""A client's dashboard (/c/<slug>/): the page with its cards, the charts' CSV downloads, the pinned
cards' form and the agency's branding. ``ClientAccessMiddleware`` has checked access (404 outside
the client, 403 for a viewer's POST); the charts' data comes from the dashboard API."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.channels import channel_label
from config.errors import DomainError
from dashboards import services
from dashboards.cards import card_sections, cardable_kpis
from dashboards.charts import CHART_TITLES, TABLE_CHARTS
from dashboards.csv_export import chart_csv
from dashboards.formatting import Formatter
from dashboards.models import Branding
from dashboards.notes import note_choices, note_markers, note_rows
from dashboards.payload import chart_build
from dashboards.selectors import NAMED, dashboard_data
from dashboards.state import DRILL_DIMENSIONS, PERIOD_KINDS, StateError, state_from_query
from kpis.custom.definitions import kpi_name
from kpis.models import PeriodKind
from kpis.periods import period_shift
from kpis.selectors import local_today


def _formatter(request) -> Formatter:
    return Formatter(translation.get_language(), request.tenant.currency)


def _home(request) -> str:
    return reverse("client-home")


def _drill_name(state) -> str | None:
    if not state.dimension:
        return None
    if not state.key:
        return _("(none)")
    name = NAMED[state.dimension].objects.filter(key=state.key).values_list("name", flat=True).first()
    if name is None:
        return state.key
    return channel_label(state.key, name) if state.dimension == "channel" else name


def _branding(client) -> dict | None:
    """Colour and whether there is a logo, without reading the logo's bytes (ONE query)."""
    return Branding.objects.filter(client_id=client.pk).values("color", "logo_type", "updated_at").first()


def _range_totals(count: int, kind: str) -> str:
    if kind == PeriodKind.WEEK:
        return ngettext("totals over %(count)d week", "totals over %(count)d weeks", count) % {"count": count}
    if kind == PeriodKind.QUARTER:
        return ngettext("totals over %(count)d quarter", "totals over %(count)d quarters", count) % {"count": count}
    return ngettext("totals over %(count)d month", "totals over %(count)d months", count) % {"count": count}


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        state = state_from_query(request.GET)
    except StateError as error:
        return render(request, "dashboards/bad_state.html", {"errors": error.labelled()}, status=400)
    context = dashboard_context(request, state, access=request.client_access, user=request.user)
    return render(request, "dashboards/dashboard.html", context)


def dashboard_context(request: HttpRequest, state, *, access, user) -> dict:
    """The dashboard page's context for ``state``, as ``access`` sees it (a share link's page:
    a viewer's access and an anonymous user, so the client's default cards and nothing to change)."""
    language, fmt = translation.get_language(), _formatter(request)
    data = dashboard_data(state, today=local_today(), charts=False, notes=True)
    pinned, pinned_source = services.pinned_for(user)
    if data.over_range:  # the cards show the range's totals against the range before
        focus_label = fmt.span(data.first, data.focus, state.period)
        previous_label = fmt.span(data.previous_first, period_shift(data.first, state.period, -1), state.period)
    else:
        focus_label = fmt.period(data.focus, state.period)
        previous_label = fmt.period(period_shift(data.focus, state.period, -1), state.period)
    context = {
        "state": state,
        "query": state.query(),
        "focus_label": focus_label,
        "previous_label": previous_label,
        "first_label": fmt.period(data.first, state.period),
        "over_range": data.over_range,
        "range_totals": _range_totals(data.periods, state.period) if data.over_range else None,
        "focus_partial": any(row.get("is_partial") for row in (data.row(k) or {} for k in ("leads", "visits"))),
        "as_of": data.as_of,
        "sections": card_sections(data, fmt, language, pinned),
        "drill_name": _drill_name(state),
        "drill_dimensions": DRILL_DIMENSIONS,
        "period_kinds": PERIOD_KINDS,
        "charts": [{"id": key, "title": title, "is_table": key in TABLE_CHARTS} for key, title in CHART_TITLES.items()],
        "branding": _branding(request.tenant),
        "locale": fmt.locale.replace("_", "-"),
        "pinned": pinned,
        "pinned_source": pinned_source,
        "pinnable": [(k, kpi_name(k)) for k in cardable_kpis(None)],
        "notes": note_rows(data, fmt, authors=user.is_authenticated),
        "note_markers": note_markers(data, fmt),
        "note_choices": note_choices() if access.can_write else [],  # one query, for the form only
        "can_annotate": access.can_write,
        "can_customise": access.can_write,
        "can_set_default": access.can_manage,
        "can_brand": access.is_agency,
        "can_share": access.can_manage,
    }
    return context


@require_GET
def chart_download(request: HttpRequest, chart: str) -> HttpResponse:
    if chart not in CHART_TITLES:
        raise Http404("No such chart")
    try:
        state = state_from_query(request.GET)
    except StateError as error:
        lines = [f"{field}: {' '.join(texts)}" for field, texts in error.labelled()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    fmt = _formatter(request)
    data = dashboard_data(state, today=local_today())
    response = HttpResponse(chart_csv(chart_build(chart, data, fmt), fmt), content_type="text/csv; charset=utf-8")
    span = f"{data.first.isoformat()}-{data.focus.isoformat()}" if data.over_range else data.focus.isoformat()
    filename = f"pouls-{request.tenant.slug}-{chart}-{state.period}-{span}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _position(raw: str, *, default: int) -> int:
    """A card's position field: 1 to 99; anything else (empty, "²", a huge number) goes last."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= len(raw) <= 2 else default


@require_POST
def pinned_update(request: HttpRequest) -> HttpResponse:
    """Save the pinned cards: ``scope=client`` (managers: everyone's default) or ``scope=me``;
    ``action=reset`` forgets one's own choice. Cards are pinned by checking them, ordered by
    their position fields."""
    access, scope = request.client_access, request.POST.get("scope", "me")
    back = HttpResponseRedirect(_home(request) + (f"?{request.POST['query']}" if request.POST.get("query") else ""))
    if scope == "client" and not access.can_manage:
        messages.error(request, _("Only a manager sets the client's default cards."))
        return back
    if request.POST.get("action") == "reset":
        services.pinned_reset(user=request.user)
        messages.success(request, _("You see the client's default cards again."))
        return back
    chosen = request.POST.getlist("kpis")
    positions = {kpi: _position(request.POST.get(f"position_{kpi}", ""), default=len(chosen) + 1) for kpi in chosen}
    ordered = sorted(chosen, key=lambda k: (positions[k], chosen.index(k)))
    try:
        services.pinned_save(kpis=ordered, user=None if scope == "client" else request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return back
    messages.success(
        request, _("Pinned cards saved for everyone.") if scope == "client" else _("Pinned cards saved for you.")
    )
    return back


@require_http_methods(["GET", "POST"])
def branding_edit(request: HttpRequest) -> HttpResponse:
    """The agency's logo and colour on this client's dashboard (agency people only)."""
    if not request.client_access.is_agency:
        raise Http404("Agency people only")
    errors = {}
    if request.method == "POST":
        upload = request.FILES.get("logo")
        try:
            services.branding_save(
                client=request.tenant,
                color=request.POST.get("color", ""),
                logo=upload.read(services.MAX_LOGO_BYTES + 1) if upload else None,
                remove_logo=request.POST.get("remove_logo") == "on",
            )
        except DomainError as error:
            errors = error.as_dict()
        else:
            messages.success(request, _("Branding saved."))
            return HttpResponseRedirect(_home(request))
    branding = _branding(request.tenant) or {}
    return render(
        request, "dashboards/branding.html", {"branding": branding, "errors": errors}, status=400 if errors else 200
    )


@require_GET
def brand_logo(request: HttpRequest) -> HttpResponse:
    row = Branding.objects.filter(client_id=request.tenant.pk).values_list("logo", "logo_type").first()
    if not row or not row[0]:
        raise Http404("No logo")
    response = HttpResponse(bytes(row[0]), content_type=row[1])
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The brand colour as a stylesheet (a strict Content-Security-Policy forbids inline styles)."""
    color = (_branding(request.tenant) or {}).get("color")
    css = f":root {{ --brand: {color}; }}\n" if color else ""
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
