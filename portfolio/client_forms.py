"""Forms of the client account pages (create, settings). They only carry the values: the rule of each
field is the service's (``tenants.services.client_fields_checked``), so a refused value reads the same
here, in the API and from the ``create_client`` command. Hence no ``required``, length or choice check
of the form's own: the browser is told the bounds (attributes), the service decides."""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tenants.client_choices import currency_choices, offered_time_zones
from tenants.models import Agency
from tenants.services import CLIENT_NAME_MAX_LENGTH

DEFAULT_TIME_ZONE = "Europe/Paris"
DEFAULT_CURRENCY = "EUR"


def _with_current(choices: list[tuple[str, str]], current: str | None) -> list[tuple[str, str]]:
    """``choices``, with ``current`` first when the list lacks it (an alias such as "US/Eastern", a
    value the rule no longer offers): a form shows what the client has."""
    if current and current not in {value for value, _label in choices}:
        return [(current, current), *choices]
    return choices


class ClientSettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": CLIENT_NAME_MAX_LENGTH, "required": True, "autocomplete": "off"}),
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        help_text=_("Days, weeks and months of the client's KPIs start at midnight in this zone."),
        widget=forms.Select(),
    )
    currency = forms.CharField(
        label=_("Currency"), required=False, help_text=_("Spend, revenue and deal values."), widget=forms.Select()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = self.data.get("time_zone") if self.is_bound else self.initial.get("time_zone")
        currency = self.data.get("currency") if self.is_bound else self.initial.get("currency")
        zones = [(name, name.replace("_", " ")) for name in offered_time_zones()]
        self.fields["time_zone"].widget.choices = _with_current(zones, zone)
        currencies = list(currency_choices(translation.get_language() or "en"))
        self.fields["currency"].widget.choices = _with_current(currencies, currency)

    def values(self) -> dict[str, str]:
        return {field: self.cleaned_data.get(field) or "" for field in ("name", "time_zone", "currency")}


class ClientCreateForm(ClientSettingsForm):
    slug = forms.CharField(
        label=_("Slug"),
        required=False,
        strip=False,
        help_text=_(
            "Its address: /c/<slug>/. Lower-case letters, digits and dashes; it cannot change once the account exists."
        ),
        widget=forms.TextInput(
            attrs={"maxlength": 50, "required": True, "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    agency = forms.TypedChoiceField(label=_("Agency"), coerce=int, required=False, empty_value=None)

    field_order = ["agency", "name", "slug", "time_zone", "currency"]

    def __init__(self, *args, agencies: list[Agency], **kwargs):
        kwargs.setdefault("initial", {"time_zone": DEFAULT_TIME_ZONE, "currency": DEFAULT_CURRENCY})
        super().__init__(*args, **kwargs)
        self.agencies = {agency.pk: agency for agency in agencies}
        if len(agencies) > 1:
            self.fields["agency"].choices = [("", "—"), *((a.pk, a.name) for a in agencies)]
        else:
            del self.fields["agency"]  # the one agency the person works for

    def clean_agency(self):
        pk = self.cleaned_data.get("agency")
        if pk is None or pk not in self.agencies:
            raise forms.ValidationError(_("Choose the agency the client account belongs to."))
        return pk

    def chosen_agency(self) -> Agency:
        if len(self.agencies) == 1:
            return next(iter(self.agencies.values()))
        return self.agencies[self.cleaned_data["agency"]]

    def values(self) -> dict[str, str]:
        return {**super().values(), "slug": self.cleaned_data.get("slug") or ""}
