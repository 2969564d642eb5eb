"""Share links on screen: the Share page of a client (managers and agency people create, list and
revoke links) and the shared dashboard itself, open without an account at /c/<slug>/s/<token>/.

The shared page is the viewer's dashboard for the link's period and nothing else: no period picker,
drill-down, CSV, customisation, navigation or API link; its chart data come from its own endpoint,
which serves the link's state only. Every answer says ``noindex`` and is rate-limited per address;
an unknown, expired or revoked token (or a client closed to its people) is the same 404.
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from config.client_address import client_ip
from config.errors import DomainError
from dashboards import views
from dashboards.formatting import Formatter
from dashboards.models import ShareLink, ShareRange
from dashboards.payload import dashboard_json, payload_without_links
from dashboards.selectors import dashboard_data
from dashboards.sharing import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    PASSWORD_FAILURES,
    SHARED_REQUESTS,
    share_link_create,
    share_link_opened,
    share_link_password_ok,
    share_link_resolve,
    share_link_revoke,
    share_link_state,
    share_link_status,
    share_links_list,
    share_links_open,
)
from dashboards.state import PERIOD_KINDS
from kpis.selectors import local_today
from tenants.access import ClientAccess
from tenants.middleware import client_public_endpoint
from tenants.models import Role

UNLOCK_COOKIE = "pouls_share"
UNLOCK_COOKIE_AGE = 12 * 3600  # a working day; then the password again


# --- The Share page (signed in: managers and agency people) ----------------------------------------


def _period_text(link: ShareLink, fmt: Formatter) -> str:
    kind = str(dict(ShareLink._meta.get_field("period").choices)[link.period])
    if link.range == ShareRange.CUSTOM:
        return f"{kind} · {fmt.span(link.date_from, link.date_to, link.period)}"
    return f"{kind} · {ShareRange(link.range).label}"


STATUS_TEXTS = {
    "live": pgettext_lazy("share link", "Active"),
    "expired": pgettext_lazy("share link", "Expired"),
    "revoked": pgettext_lazy("share link", "Revoked"),
}


def _rows(fmt: Formatter) -> list[dict]:
    now = timezone.now()
    return [
        {
            "link": link,
            "period": _period_text(link, fmt),
            "status": (status := share_link_status(link, now)),
            "status_text": str(STATUS_TEXTS[status]),
        }
        for link in share_links_list()
    ]


@require_http_methods(["GET", "POST"])
def share_links(request: HttpRequest) -> HttpResponse:
    """Create (``action=create``), list and revoke (``action=revoke``, ``link=<id>``) share links."""
    if not request.client_access.can_manage:
        raise PermissionDenied("Managers and agency people only")
    today = local_today()
    form = {"label": "", "period": "month", "range": ShareRange.LAST, "date_from": "", "date_to": ""}
    form["expires_on"] = (today + DEFAULT_LIFETIME).isoformat()
    errors: dict[str, list[str]] = {}
    new_url = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        if not _is_id(request.POST.get("link")):
            raise Http404("No such link")
        link = get_object_or_404(ShareLink, pk=request.POST["link"])
        share_link_revoke(link=link, by=request.user)
        messages.success(request, _("The link is revoked: it no longer opens."))
        return HttpResponseRedirect(reverse("dashboard-share"))
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        try:
            created = share_link_create(
                label=form["label"],
                period=form["period"],
                range=form["range"],
                date_from=form["date_from"],
                date_to=form["date_to"],
                password=request.POST.get("password", ""),
                expires_on=form["expires_on"],
                by=request.user,
                today=today,
            )
        except DomainError as error:
            errors = error.as_dict()
        else:
            new_url = request.build_absolute_uri(reverse("shared-dashboard", kwargs={"token": created.token}))
            form = {**form, "label": "", "date_from": "", "date_to": ""}
    context = {
        "rows": _rows(Formatter(translation.get_language(), request.tenant.currency)),
        "form": form,
        "errors": errors,
        "new_url": new_url,
        "period_kinds": PERIOD_KINDS,
        "ranges": ShareRange.choices,
        "max_expiry": (today + MAX_LIFETIME).isoformat(),
        "min_expiry": today.isoformat(),
    }
    response = render(request, "dashboards/share/links.html", context, status=400 if errors else 200)
    if new_url:
        response["Cache-Control"] = "private, no-store"  # the only copy of the token: kept in no cache
    return response


def _is_id(raw: str | None) -> bool:
    return bool(raw) and raw.isascii() and raw.isdigit() and len(raw) < 19


# --- The shared dashboard (no account) ----------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["Cache-Control"] = "private, no-store"
    return response


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    message = ngettext(
        "Too many requests from your address. Try again in %(minutes)d minute.",
        "Too many requests from your address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = render(request, "dashboards/share/limited.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return _private(response)


def _link_or_404(request: HttpRequest, token: str) -> ShareLink:
    link = share_link_resolve(token)
    if link is None or not share_links_open(request.tenant):
        raise Http404("No such link")
    return link


def _cookie_salt(link: ShareLink) -> str:
    # Signed for this link and its password: another link's cookie, or one from before a password
    # change, opens nothing.
    return f"pouls-share:{link.token_hash}:{link.password}"


def _unlocked(request: HttpRequest, link: ShareLink) -> bool:
    if not link.password:
        return True
    value = request.get_signed_cookie(UNLOCK_COOKIE, default=None, salt=_cookie_salt(link), max_age=UNLOCK_COOKIE_AGE)
    return value == str(link.pk)


def _password_ident(request: HttpRequest, link: ShareLink) -> str:
    return f"{client_ip(request)}:{link.pk}:{link.token_hash[:16]}"


def _links(token: str) -> dict:
    return {
        "page_url": reverse("shared-dashboard", kwargs={"token": token}),
        "data_url": reverse("shared-dashboard-data", kwargs={"token": token}),
        "brand_css_url": reverse("shared-brand-css", kwargs={"token": token}),
        "logo_url": reverse("shared-logo", kwargs={"token": token}),
    }


def _gate(request: HttpRequest, token: str) -> tuple[ShareLink | None, HttpResponse | None]:
    """Rate limit, then the link (404), for every shared answer."""
    retry_after = SHARED_REQUESTS.take(client_ip(request))
    if retry_after is not None:
        return None, _too_many(request, retry_after)
    return _link_or_404(request, token), None


@client_public_endpoint
@require_http_methods(["GET", "POST"])
def shared_dashboard(request: HttpRequest, token: str) -> HttpResponse:
    link, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    urls = _links(token)
    if request.method == "POST":  # the password form
        ident = _password_ident(request, link)
        retry_after = PASSWORD_FAILURES.retry_after(ident)
        if retry_after is not None:
            return _too_many(request, retry_after)
        if share_link_password_ok(link, request.POST.get("password", "")):
            response = HttpResponseRedirect(urls["page_url"], status=303)
            response.set_signed_cookie(
                UNLOCK_COOKIE,
                str(link.pk),
                salt=_cookie_salt(link),
                max_age=UNLOCK_COOKIE_AGE,
                path=urls["page_url"],
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
            return _private(response)
        PASSWORD_FAILURES.record(ident)
        return _password_page(request, link, error=_("Wrong password."))
    if not _unlocked(request, link):
        return _password_page(request, link)
    viewer = ClientAccess(client=request.tenant, role=Role.VIEWER)
    context = views.dashboard_context(request, share_link_state(link), access=viewer, user=AnonymousUser())
    context |= {
        "base_template": "dashboards/share/base.html",
        "shared": urls,
        "current_client": request.tenant,
    }
    share_link_opened(link=link)
    return _private(render(request, "dashboards/dashboard.html", context))


def _password_page(request: HttpRequest, link: ShareLink, *, error: str | None = None) -> HttpResponse:
    context = {"current_client": request.tenant, "error": error, "label": link.label}
    return _private(render(request, "dashboards/share/password.html", context, status=400 if error else 200))


@client_public_endpoint
@require_GET
def shared_data(request: HttpRequest, token: str) -> HttpResponse:
    """The charts of the link's state (query parameters are ignored: the link fixes the state)."""
    link, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    if not _unlocked(request, link):
        return _private(JsonResponse({"detail": _("This link needs its password.")}, status=403))
    fmt = Formatter(translation.get_language(), request.tenant.currency)
    data = dashboard_data(share_link_state(link), today=local_today())
    return _private(JsonResponse(payload_without_links(dashboard_json(data, fmt, base_url=""))))


def _branding(request: HttpRequest, token: str, serve) -> HttpResponse:
    """The client's branding (``serve``: its stylesheet or logo view) for an open, unlocked link."""
    link, refusal = _gate(request, token)
    if refusal is not None:
        return refusal
    if not _unlocked(request, link):
        raise Http404("Locked")
    return _private(serve(request))


@client_public_endpoint
@require_GET
def shared_brand_css(request: HttpRequest, token: str) -> HttpResponse:
    return _branding(request, token, views.brand_css)


@client_public_endpoint
@require_GET
def shared_logo(request: HttpRequest, token: str) -> HttpResponse:
    return _branding(request, token, views.brand_logo)
