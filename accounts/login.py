"""The login page's form: when the email and password are right but the account may not log in (its
email is not confirmed yet, or its agency is suspended), it says so, and offers the confirmation link
again, instead of the generic "didn't match".

Only a caller who knows the password learns the account's state: a wrong password, an unknown email
and a lockout all keep the generic answer (and django-axes still counts the failure).
"""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.signup import awaiting_confirmation
from tenants.access import agency_suspended_for
from tenants.models import User
from tenants.views import LoginView as BaseLoginView

UNCONFIRMED = "unconfirmed"
SUSPENDED = "suspended"
# Refusals the page explains instead of the generic error.
REFUSALS = (UNCONFIRMED, SUSPENDED)


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        UNCONFIRMED: _(
            "Your email address is not confirmed yet: follow the link of the mail we sent you when you signed up."
        ),
        SUSPENDED: _("Your agency's account is suspended: nobody of the agency can log in. Please contact Pouls."),
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            refusal = self._refusal()
            if refusal is None:
                raise
            raise ValidationError(self.error_messages[refusal], code=refusal) from error

    def _refusal(self) -> str | None:
        """Why a right password was refused, or ``None`` (wrong password, unknown email, lockout)."""
        if getattr(self.request, "axes_locked_out", False):
            return None
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not email or not password:
            return None
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None or not user.check_password(password):
            return None
        if awaiting_confirmation(user):
            return UNCONFIRMED
        if user.is_active and agency_suspended_for(user):
            return SUSPENDED
        return None


class LoginView(BaseLoginView):
    form_class = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        refusal = next((code for code in REFUSALS if form.is_bound and form.has_error("__all__", code)), None)
        if refusal is not None:
            context["login_refusal"] = form.error_messages[refusal]
        if refusal == UNCONFIRMED:
            context["unconfirmed_email"] = form.cleaned_data.get("username", "")
        return context
