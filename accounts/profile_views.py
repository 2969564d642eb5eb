"""The profile page (/accounts/profile/): name and language, with links to the password change."""

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

from accounts.profile import FULL_NAME_MAX, profile_update
from config.errors import DomainError
from tenants.models import Language
from tenants.selectors import user_preferred_language


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=FULL_NAME_MAX, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("", gettext_lazy("My agency's language")), *Language.choices],
        required=False,
        help_text=gettext_lazy("Of the pages and of the mails Pouls sends you."),
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
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
    return render(request, "accounts/profile.html", {"form": form})
