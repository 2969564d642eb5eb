"""Forms of the people page and of the invitation's accept page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.invitations import NAME_MAX_LENGTH
from accounts.people import Places
from accounts.serializers import PASSWORD_MAX_LENGTH
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Client, Role

AGENCY_PLACE, CLIENT_PLACE = "agency", "client"


class InviteForm(forms.Form):
    """Email, role and place ("agency:<id>" or "client:<slug>"), offered as far as the rules allow."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    place = forms.ChoiceField(label=_("For"))

    def __init__(self, *args, places: Places, **kwargs):
        super().__init__(*args, **kwargs)
        self.places = places
        roles = set()
        choices = []
        if places.agencies:
            roles.update(AGENCY_ROLES)
            choices += [
                (f"{AGENCY_PLACE}:{a.pk}", _("%(agency)s (the agency)") % {"agency": a.name}) for a in places.agencies
            ]
        for place in places.clients:
            roles.update(place.roles)
            choices.append((f"{CLIENT_PLACE}:{place.client.slug}", place.client.name))
        self.fields["role"].choices = [(role.value, role.label) for role in Role if role in roles]
        self.fields["place"].choices = choices

    def clean(self):
        cleaned = super().clean()
        kind, _sep, key = (cleaned.get("place") or "").partition(":")
        role = cleaned.get("role")
        if kind == AGENCY_PLACE:
            cleaned["agency"], cleaned["client"] = self.places.agency(key), None
            if role and role not in AGENCY_ROLES:
                self.add_error("role", _("A client role is given on a client account: choose one below."))
        elif kind == CLIENT_PLACE:
            place = self.places.client(key)
            cleaned["agency"], cleaned["client"] = None, place.client if place else None
            if role and role not in CLIENT_ROLES:
                self.add_error("role", _("An agency role is given on the agency: choose it below."))
        return cleaned

    def place_of(self) -> tuple[Agency | None, Client | None]:
        return self.cleaned_data.get("agency"), self.cleaned_data.get("client")


class NewAccountForm(forms.Form):
    """A new person accepting an invitation: their name and password (Django's validators, in the
    service)."""

    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX_LENGTH)
    password = forms.CharField(
        label=_("Password"), strip=False, max_length=PASSWORD_MAX_LENGTH, widget=forms.PasswordInput
    )
    password_again = forms.CharField(
        label=_("Password (again)"), strip=False, max_length=PASSWORD_MAX_LENGTH, widget=forms.PasswordInput
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password")
            and cleaned.get("password_again")
            and cleaned["password"] != cleaned["password_again"]
        ):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned


class ExistingAccountForm(forms.Form):
    """Someone with an account accepting an invitation without being signed in as it."""

    password = forms.CharField(
        label=_("Password"), strip=False, max_length=PASSWORD_MAX_LENGTH, widget=forms.PasswordInput
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
