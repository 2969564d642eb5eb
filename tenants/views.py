"""Public pages: the client switcher at the root, login, the language switch."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from tenants.models import Language


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
