"""Password reset by email and password change: Django's own views and tokens, with our pages, and the
reset mail sent through ``accounts.mail`` (the recipient's language, absolute link from
``POULS_PUBLIC_URL``), at most a few per address and hour (``accounts.quotas``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from accounts.mail import absolute_url, send_mail_to
from accounts.quotas import account_mail_allowed
from accounts.signup import confirmation_resend


class PasswordResetForm(auth_forms.PasswordResetForm):
    def save(self, *args, **kwargs) -> None:
        email = self.cleaned_data["email"]
        if not any(True for _user in self.get_users(email)):
            # An owner who never confirmed their sign-up cannot reset a password yet: the confirmation
            # link is what they need (nothing is sent to an address without an account).
            confirmation_resend(email)
            return
        super().save(*args, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs) -> None:
        """Django's reset mail, through our one mail helper instead of Django's templates and sender."""
        if not account_mail_allowed(to_email):
            return
        path = reverse(
            "password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]},
            urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        )
        send_mail_to(
            context["user"],
            subject_template="accounts/mail/password_reset_subject.txt",
            body_template="accounts/mail/password_reset_body.txt",
            context={
                "user": context["user"],
                "link": absolute_url(path),
                "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
        )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response
