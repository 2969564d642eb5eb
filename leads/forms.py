"""Forms of the sales screens: they validate what a person typed into plain values; the services
in ``leads.services`` decide whether the change is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.filters import LeadFilter
from leads.models import Stage
from leads.services import OWNER_REFUSED
from tenants.models import User

REASON_MAX_LENGTH = 500


class MoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)
    at = forms.DateTimeField(
        label=_("Effective at"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


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
