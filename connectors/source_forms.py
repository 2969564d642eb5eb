"""The form choosing a client's account of one platform (the sources page; fit for an admin): its
``clean()`` is ``connectors.source_rules.source_fields_checked``, the API's rule, word for word."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.source_rules import SourceInvalid, source_fields_checked


class SourceForm(forms.Form):
    account = forms.ChoiceField(label=_("Account"), required=False)
    external_id = forms.CharField(
        label=_("or its id"), max_length=200, required=False, help_text=_("When the account is not listed.")
    )
    login_customer_id = forms.CharField(label=_("Manager account id"), max_length=20, required=False)

    def __init__(self, *args, client, kind: str, accounts: list | None = None, source=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client, self.kind, self.source = client, kind, source
        self.accounts = {a.id: a for a in accounts or []}
        self.fields["account"].choices = [("", "—")] + [(a.id, f"{a.name} ({a.id})") for a in accounts or []]
        if kind != "google_ads":
            del self.fields["login_customer_id"]

    def clean(self):
        data = super().clean()
        chosen = self.accounts.get(data.get("account") or "")
        external_id = data.get("external_id") or (chosen.id if chosen else "")
        login = data.get("login_customer_id") or (chosen.manager_id if chosen else "")
        try:
            fields = source_fields_checked(self.client, self.kind, external_id, login, source=self.source)
        except SourceInvalid as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return data
        data["checked"] = fields
        data["external_name"] = chosen.name if chosen and chosen.id == fields.external_id else ""
        return data
