"""Public pages: the client switcher at the root, login, the language switch."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from portfolio.views import portfolio_page
from tenants.access import clients_visible_to
from tenants.models import Language


def client_home_url(slug: str) -> str:
    return f"/c/{slug}/"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Agency people get the portfolio of every client they may see; a client's own people, the
    client switcher, or straight their dashboard when they can enter exactly one client."""
    accesses = clients_visible_to(request.user)
    if any(access.is_agency for access in accesses):
        return portfolio_page(request, accesses)
    if len(accesses) == 1:
        return redirect(client_home_url(accesses[0].client.slug))
    return render(request, "tenants/home.html", {"accesses": accesses})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie), and the choice is remembered on the user for next time."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in Language.values and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        request.POST = request.POST.copy()
        request.POST["next"] = reverse("home")
    return set_language(request)
