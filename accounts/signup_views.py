"""Sign-up pages: the form, "check your inbox", the confirmation link and sending it again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from accounts.quotas import SIGNUPS_PER_ADDRESS, wait_message
from accounts.signup import agency_sign_up, confirmation_resend, signup_confirm
from accounts.signup_forms import ConfirmationResendForm, SignupForm
from accounts.signup_tokens import CONFIRMATION_DAYS
from config.client_address import client_ip
from config.errors import DomainError
from tenants.access import agency_suspended_for

# The backend a confirmed owner is logged in with (the session remembers it; AUTHENTICATION_BACKENDS).
LOGIN_BACKEND = "accounts.backends.AccountBackend"
TOO_MANY_REQUESTS = 429


class SignupView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignupForm) -> HttpResponse:
        retry_after = SIGNUPS_PER_ADDRESS.take(client_ip(self.request))
        if retry_after is not None:
            form.add_error(None, wait_message(retry_after))
            response = self.render_to_response(self.get_context_data(form=form), status=TOO_MANY_REQUESTS)
            response["Retry-After"] = str(retry_after)
            return response
        try:
            agency_sign_up(**form.cleaned_data, language=translation.get_language())
        except DomainError as error:
            form.add_domain_error(error)
            return self.form_invalid(form)
        return redirect("signup-sent")


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html", {"days": CONFIRMATION_DAYS})


def signup_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the confirmation mail: activates the owner, logs them in, opens their portfolio."""
    user = signup_confirm(token)
    if user is None:
        return render(request, "accounts/signup_link_invalid.html", {"days": CONFIRMATION_DAYS}, status=400)
    if agency_suspended_for(user):  # confirmed, but the login page will say why they cannot go further
        return redirect("login")
    login(request, user, backend=LOGIN_BACKEND)
    messages.success(request, _("Your email is confirmed. Welcome to Pouls!"))
    return redirect("home")


@require_POST
def confirmation_resend_view(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again (the login page offers it to an unconfirmed account). The
    answer is the same whatever the address, so it tells nobody which emails have an account."""
    form = ConfirmationResendForm(request.POST)
    if form.is_valid():
        confirmation_resend(form.cleaned_data["email"])
    return redirect("signup-sent")
