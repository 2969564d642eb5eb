"""The objective's form and the KPI settings' form: targets and the amber margin typed as people think
(``kpis.targets``), checked by the services' rules (``objective_validate``, ``amber_ratio_checked``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from config.errors import DomainError
from kpis import services
from kpis.custom.definitions import kpi_choices, kpi_definitions
from kpis.models import KPISettings
from kpis.targets import (
    amber_margin_for_entry,
    amber_ratio_from_margin,
    target_for_entry,
    target_from_entry,
    typed_as_percent,
)


class TargetInput(forms.TextInput):
    """The target's box, with "%" after it when the objective's KPI is a rate or a ratio."""

    template_name = "kpis/widgets/target_input.html"
    suffix = ""

    class Media:
        js = ["kpis/objective_target.js"]  # shows or hides the sign when another KPI is chosen

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["suffix"] = self.suffix
        context["widget"]["percent_kpis"] = " ".join(k for k in kpi_definitions() if typed_as_percent(k))
        return context


TARGET_HELP = gettext_lazy(
    "A rate or a ratio (conversion rates, shares, growth, ROI) as a percentage: 6 for 6 percent. Money in "
    "the client's currency, counts as numbers."
)


class ObjectiveTargetForm(forms.ModelForm):
    """The objective's fields, with its target typed as people think (``kpis.targets``) and checked by
    ``kpis.services.objective_validate``, each error under its field."""

    target = forms.CharField(label=gettext_lazy("target"), help_text=TARGET_HELP, widget=TargetInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kpi" in self.fields:  # the built-in KPIs and the client's own (kpis.custom)
            self.fields["kpi"] = forms.ChoiceField(
                label=gettext_lazy("KPI"), choices=[("", "---------"), *kpi_choices()]
            )
        kpi = self.data.get(self.add_prefix("kpi")) if self.is_bound else self.instance.kpi or self.initial.get("kpi")
        if self.instance.pk:
            self.initial["target"] = target_for_entry(kpi, self.instance.target)
        self.fields["target"].widget.suffix = "%" if typed_as_percent(kpi or "") else ""

    def clean(self):
        cleaned = super().clean()
        values = {f: cleaned.get(f, "") for f in ("kpi", "period", "dimension", "key", "target")}
        if any(field in self.errors for field in values):  # said already under its field
            return cleaned
        try:
            values["target"] = target_from_entry(values["kpi"], values["target"])
            cleaned.update(services.objective_validate(**values))
        except DomainError as exc:
            raise forms.ValidationError({exc.field or "kpi": exc.message}) from exc
        return cleaned


class KPISettingsForm(forms.ModelForm):
    """The amber threshold typed as a margin below the target ("10 %"), stored as the ratio (0.9) the
    API exchanges, checked by ``kpis.services.amber_ratio_checked``."""

    amber_margin = forms.CharField(
        label=gettext_lazy("amber margin"),
        help_text=gettext_lazy(
            "How far a value may miss its target, as a percentage, and still be amber rather than red: 10 for "
            "within 10 percent of the target."
        ),
        widget=TargetInput,
    )

    class Meta:
        model = KPISettings
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["amber_margin"] = amber_margin_for_entry(self.instance.amber_ratio)
        self.fields["amber_margin"].widget.suffix = "%"

    def clean(self):
        cleaned = super().clean()
        if "amber_margin" in self.errors:
            return cleaned
        try:
            ratio = amber_ratio_from_margin(cleaned.get("amber_margin", ""))
        except DomainError as exc:
            raise forms.ValidationError({"amber_margin": exc.message}) from exc
        if not isinstance(ratio, Decimal):
            raise forms.ValidationError({"amber_margin": gettext_lazy("Enter a number.")})
        try:
            cleaned["amber_ratio"] = services.amber_ratio_checked(ratio)
        except DomainError as exc:
            # The rule speaks of the stored ratio (0 to 1); the form's box holds a margin (0 to 100 %).
            message = gettext_lazy("The amber margin is a percentage from 0 to 100 (at most 1 decimal).")
            raise forms.ValidationError({"amber_margin": message}) from exc
        return cleaned
