"""The client admin's form of a custom KPI: its fields checked by ``custom_kpi_validate``, the rule
the API applies too, each error under its field (a formula's with its position)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from kpis.custom.services import custom_kpi_validate
from kpis.models import CustomKPI
from kpis.registry import DIMENSION_LABELS


class CustomKPIForm(forms.ModelForm):
    dimensions = forms.MultipleChoiceField(
        label=_("dimensions"),
        choices=list(DIMENSION_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every breakdown its measures allow."),
    )

    class Meta:
        model = CustomKPI
        fields = ["key", "name", "formula", "unit", "better"]
        widgets = {"formula": forms.TextInput(attrs={"size": 60, "placeholder": "spend / sqls"})}
        help_texts = {
            "formula": _(
                "Measures (leads, visits, spend, mqls, sqls, customers, revenue, emails_sent… and your imported "
                "metrics) and numbers with + - * / and parentheses, e.g. (revenue - spend) / customers."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["key"].disabled = True  # snapshots and objectives refer to it
            self.initial["dimensions"] = list(self.instance.dimensions)

    def clean(self):
        cleaned = super().clean()
        fields = ("key", "name", "formula", "unit", "better", "dimensions")
        if any(field in self.errors for field in fields):
            return cleaned
        values = {field: cleaned.get(field) for field in fields}
        values["dimensions"] = values["dimensions"] or None
        instance = self.instance if self.instance.pk else None
        try:
            cleaned.update(custom_kpi_validate(instance=instance, every_dimension=True, **values))
        except DomainError as exc:
            raise forms.ValidationError({exc.field or "formula": exc.message}) from exc
        return cleaned

    def validate_unique(self):
        pass  # the key's uniqueness is the rule's ("A custom KPI already has this key.")
