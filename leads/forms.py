"""Forms of the sales screens: they validate what a person typed into plain values; the services
in ``leads.services`` decide whether the change is allowed."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leads.filters import LeadFilter
from leads.models import Lead, MoveKind, Stage
from leads.money import money_input_text, money_parse
from leads.services import OWNER_REFUSED, email_normalise
from tenants.models import User

REASON_MAX_LENGTH = 500


class MoneyField(forms.DecimalField):
    """An amount typed the way the page's language writes it (``4 800,50`` in French, ``4,800.50`` in
    English; a currency sign is ignored) and shown that way for editing (``leads.money``). Never
    negative, cents at most, as a lead's deal value."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return money_parse(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        return money_input_text(value) if isinstance(value, Decimal) else value


class MoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)
    at = forms.DateTimeField(
        label=_("Effective at"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # Asked by the lead page's stage step: what a move back means, and the deal value on reaching customer.
    kind = forms.ChoiceField(
        label=_("What is this move back?"), choices=MoveKind.choices, required=False, widget=forms.RadioSelect
    )
    deal_value = MoneyField(
        label=_("Deal value"),
        required=False,
        help_text=_("Leave it empty if it is not known yet: the lead will show “amount missing”."),
    )

    def clean_kind(self) -> str | None:
        return self.cleaned_data["kind"] or None


class LeadEditForm(forms.Form):
    """The lead page's contact, company and deal value; ``changes()`` gives what differs from the lead,
    for ``leads.services.lead_update`` (which checks it again and records it in the history)."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    company_size = forms.IntegerField(label=_("Company size"), min_value=0, required=False)
    deal_value = MoneyField(label=_("Deal value"), required=False)

    def __init__(self, *args, lead: Lead, **kwargs):
        kwargs["initial"] = {name: getattr(lead, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_email(self) -> str:
        # The identity's one normaliser, so that retyping the email in other case changes nothing.
        return email_normalise(self.cleaned_data["email"])

    def changes(self) -> dict:
        """The cleaned values that differ from the lead's (not ``changed_data``, which compares before
        cleaning: an email retyped in capitals would count)."""
        return {name: value for name, value in self.cleaned_data.items() if value != self.initial[name]}


class LostForm(forms.Form):
    reason = forms.CharField(label=_("Why was it lost?"), max_length=REASON_MAX_LENGTH)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class AssignForm(forms.Form):
    owner = UserChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        error_messages={"invalid_choice": OWNER_REFUSED},  # the service's words for anyone not offered
    )

    def __init__(self, *args, users: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        # The service checks the owner again; the choices only keep the form honest.
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in users])
        self.fields["owner"].choices = [("", _("Nobody"))] + [
            (user.pk, self.fields["owner"].label_from_instance(user)) for user in users
        ]


def lead_filterset(data, *, request, queryset, users: list[User], choices: dict, without=()) -> LeadFilter:
    """``LeadFilter`` (the one definition of the lead filters, shared with the API) dressed for a page:
    selects instead of ids and keys, a "my leads" checkbox, date pickers. ``without`` names filters
    the page does not offer (the board shows open leads only: no ``lost``)."""
    filterset = LeadFilter(data, queryset=queryset, request=request)
    for name in without:
        del filterset.filters[name]
    fields = filterset.form.fields
    fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": _("Name, email, company…")})
    fields["q"].label = _("Search")
    fields["mine"].widget = forms.CheckboxInput(attrs={"value": "true"})
    fields["owner"].widget = forms.Select(
        choices=[("", _("Anyone"))] + [(user.pk, user.full_name or user.email) for user in users]
    )
    fields["owner"].label = _("Owner")
    for name, everything in (
        ("channel", _("All channels")),
        ("campaign", _("All campaigns")),
        ("offer", _("All offers")),
    ):
        fields[name].widget = forms.Select(choices=[("", everything), *choices[name]])
    fields["channel"].label, fields["campaign"].label, fields["offer"].label = _("Channel"), _("Campaign"), _("Offer")
    for name in ("created_from", "created_to"):
        fields[name].widget = forms.DateInput(attrs={"type": "date"})
    fields["stage"].widget = forms.CheckboxSelectMultiple(choices=Stage.choices)
    if "lost" in fields:
        fields["lost"].widget = forms.Select(
            choices=[("", _("Open and lost")), ("false", _("Open")), ("true", _("Lost"))]
        )
        fields["lost"].label = _("Status")
    return filterset
