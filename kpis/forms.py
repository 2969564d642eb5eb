"""The objective's form: its target typed as people think (``kpis.targets``), its values checked by
``kpis.services.objective_validate``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from config.errors import DomainError
from kpis import services
from kpis.registry import KPIS
from kpis.targets import target_for_entry, target_from_entry, typed_as_percent


class TargetInput(forms.TextInput):
    """The target's box, with "%" after it when the objective's KPI is a rate or a ratio."""

    template_name = "kpis/widgets/target_input.html"
    suffix = ""

    class Media:
        js = ["kpis/objective_target.js"]  # shows or hides the sign when another KPI is chosen

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["suffix"] = self.suffix
        context["widget"]["percent_kpis"] = " ".join(k for k in KPIS if typed_as_percent(k))
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
