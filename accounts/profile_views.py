"""The profile page (/accounts/profile/): name and language, the weekly digest (its own form, told
apart by its field), with links to the password change."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.profile import (
    DIGEST_CHOICE_LABELS,
    FULL_NAME_MAX,
    digest_choice,
    digest_preference_update,
    profile_update,
)
from config.errors import DomainError
from tenants.models import Language, Membership
from tenants.selectors import user_preferred_language


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=FULL_NAME_MAX, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("", gettext_lazy("My agency's language")), *Language.choices],
        required=False,
        help_text=gettext_lazy("Of the pages and of the mails Pouls sends you."),
    )


class DigestForm(forms.Form):
    digest = forms.ChoiceField(
        label=gettext_lazy("Weekly digest"),
        choices=DIGEST_CHOICE_LABELS,
        help_text=gettext_lazy(
            "On Monday morning, the client accounts of your agency that need attention, worst first."
        ),
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The digest's form posts its one field alone: a post that carries it is that form's.
    if request.method == "POST" and "digest" in request.POST:
        return _digest_post(request)
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # The language cookie wins over the user's choice (tenants.middleware.UserLanguageMiddleware):
            # the new choice must replace it, or the pages would keep the old language.
            language = user_preferred_language(user) or settings.LANGUAGE_CODE
            translation.activate(language)
            messages.success(request, _("Your profile was saved."))
            response = redirect("profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
            return response
    return _page(request, form, DigestForm(initial={"digest": digest_choice(user)}))


def _digest_post(request: HttpRequest) -> HttpResponse:
    user = request.user
    digest_form = DigestForm(request.POST)
    if digest_form.is_valid():
        try:
            digest_preference_update(user, **digest_form.cleaned_data)
        except DomainError as error:
            digest_form.add_error("digest", error.message)
        else:
            messages.success(request, _("Your digest choice was saved."))
            return redirect("profile")
    form = ProfileForm(initial={"full_name": user.full_name, "language": user.language})
    return _page(request, form, digest_form, status=400)


def _page(request: HttpRequest, form: ProfileForm, digest_form: DigestForm, status: int = 200) -> HttpResponse:
    # The digest goes to agency people only (owners and staff): nobody else is asked about it.
    agency_person = Membership.objects.filter(user_id=request.user.pk, agency__isnull=False).exists()
    context = {"form": form, "digest_form": digest_form if agency_person else None}
    return render(request, "accounts/profile.html", context, status=status)
