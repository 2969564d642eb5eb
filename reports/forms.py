"""The schedule form of the reports page and of the client admin: its ``clean`` is the rule of the API
and the command (``reports.rules.schedule_fields_checked``), so a value is refused in the same words."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from dashboards.report_sections import REPORT_SECTIONS
from reports import rules, services
from reports.models import ReportSchedule
from reports.services import FIELDS

_SEPARATORS = re.compile(r"[\s,;]+")


class ReportScheduleForm(forms.ModelForm):
    # Loose fields: presence, ranges and addresses are the rule's to refuse, in its words.
    name = forms.CharField(label=_("name"), required=False, strip=False)
    recipients = forms.CharField(
        label=_("recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Email addresses, one per line or separated by commas (at most 50)."),
    )
    sections = forms.MultipleChoiceField(
        label=_("sections"),
        required=False,
        choices=REPORT_SECTIONS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all of them."),
    )
    weekday = forms.TypedChoiceField(
        label=_("weekday"), coerce=int, choices=ReportSchedule._meta.get_field("weekday").choices, initial=0
    )
    day_of_month = forms.IntegerField(
        label=_("day of the month"),
        required=False,
        initial=1,
        help_text=_("Monthly reports: the day sent (1-31; a shorter month: its last day)."),
    )
    hour = forms.IntegerField(
        label=_("hour"), required=False, initial=8, help_text=_("In the client's time zone (0-23).")
    )

    class Meta:
        model = ReportSchedule
        fields = list(FIELDS)

    def __init__(self, *args, members: list[tuple[str, str]] | None = None, by_agency: bool = False, **kwargs):
        """``members``: the client's people as (email, label) (``selectors.member_choices``); given, the
        form offers them as checkboxes and the text field takes the other (external) addresses. The
        admin gives none: every address is typed. ``by_agency``: an agency person fills it in (only
        they turn approval off)."""
        super().__init__(*args, **kwargs)
        self.by_agency = by_agency
        stored = list(self.instance.recipients) if self.instance.pk else []
        if members is not None:
            emails = {email for email, _label in members}
            self.fields["members"] = forms.MultipleChoiceField(
                label=_("the client's people"),
                required=False,
                choices=members,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("People with access to this client account."),
            )
            order = [name for name in self.fields if name != "members"]
            order.insert(order.index("recipients"), "members")
            self.order_fields(order)
            self.fields["recipients"].label = _("other addresses")
            self.fields["recipients"].help_text = _(
                "External addresses, one per line or separated by commas (at most 50 recipients in all)."
            )
            if not self.is_bound:
                self.initial["members"] = [a for a in stored if a in emails]
                stored = [a for a in stored if a not in emails]
        if self.instance.pk and not self.is_bound:
            self.initial["recipients"] = "\n".join(stored)

    def clean_recipients(self) -> list[str]:
        """The typed addresses as a list (the model's field holds one); the rule checks them."""
        return [a for a in _SEPARATORS.split(self.cleaned_data.get("recipients") or "") if a]

    def clean(self):
        cleaned = super().clean()
        if self.errors:  # a value Django could not read (an hour that is not a number): its own message
            return cleaned
        values = {name: cleaned.get(name) for name in FIELDS}
        # The ticked people first, then the typed addresses: one list for the one rule.
        values["recipients"] = [*(cleaned.get("members") or []), *(values["recipients"] or [])]
        values["day_of_month"] = 1 if values["day_of_month"] is None else values["day_of_month"]
        values["hour"] = 8 if values["hour"] is None else values["hour"]
        try:
            cleaned.update(rules.schedule_fields_checked(**values))
            # The service's checks too, so that the admin (which saves after validating) says them.
            if self.instance.pk:
                rules.approval_change_checked(
                    self.instance.requires_approval, cleaned["requires_approval"], by_agency=self.by_agency
                )
            else:
                services.schedule_limit_checked()
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned
