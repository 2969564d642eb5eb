"""The sign-up form: field errors come from the sign-up service's own checks (``accounts.signup``), so
a page and an API say the same thing."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from accounts.signup import (
    AGENCY_NAME_MAX,
    EMAIL_MAX,
    FULL_NAME_MAX,
    agency_name_check,
    signup_email_check,
    signup_password_check,
)
from config.errors import DomainError
from tenants.models import User


class SignupForm(forms.Form):
    agency_name = forms.CharField(label=_("Agency name"), max_length=AGENCY_NAME_MAX)
    full_name = forms.CharField(label=_("Your name"), max_length=FULL_NAME_MAX)
    email = forms.EmailField(label=_("Work email"), max_length=EMAIL_MAX)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )

    def clean_agency_name(self) -> str:
        return self._checked("agency_name", agency_name_check)

    def clean_email(self) -> str:
        return self._checked("email", signup_email_check)

    def clean(self) -> dict:
        data = super().clean()
        password = data.get("password")
        if password:
            future_user = User(email=data.get("email", ""), full_name=data.get("full_name", ""))
            try:
                signup_password_check(password, future_user)
            except DomainError as error:
                self.add_error("password", error.message)
        return data

    def _checked(self, field: str, check) -> str:
        try:
            return check(self.cleaned_data[field])
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from error

    def add_domain_error(self, error: DomainError) -> None:
        """A rule the service enforced after the form's checks (two sign-ups racing for a name)."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, forms.ValidationError(error.message, code=error.code))


class ConfirmationResendForm(forms.Form):
    email = forms.EmailField(max_length=EMAIL_MAX)
