"""The client admin's forms of the marketing data. Their ``clean()`` applies the rules the API and the
imports apply (``campaigns.rules``, and ``campaigns.services``' checks of facts and email sends), so a
bad value is refused as a form error in the same words; nothing is left for ``save_model`` to refuse.

The fields a rule checks in full (keys, keywords, URLs) are plain text fields here: a length or format
check of the form's own would answer first, in other words.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns import rules, services
from campaigns.models import EmailSend
from config.errors import DomainError


class RuledForm(forms.ModelForm):
    """A model form whose ``clean()`` applies rules that raise ``DomainError``."""

    def apply(self, rule: Callable, *args, **kwargs):
        """``rule(*args, **kwargs)``; a refusal becomes an error on the field it names (on the form when
        the form has no such field). Returns the rule's value, None when it refused."""
        try:
            return rule(*args, **kwargs)
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None

    def values(self, names: tuple[str, ...]) -> dict:
        """The row as it will be saved: the form's values over the stored ones."""
        cleaned, stored = self.cleaned_data, self.instance
        return {name: cleaned[name] if name in cleaned else getattr(stored, name, None) for name in names}


class KeyedForm(RuledForm):
    """A row with a key of its own (campaign, offer, landing page, CTA, email send, channel)."""

    key = forms.CharField(label=_("key"), help_text=_("Lower-case letters, digits, '_' and '-'."))
    key_max_length = rules.KEY_MAX_LENGTH

    def clean(self):
        cleaned = super().clean()
        if "key" in cleaned:
            key = self.apply(rules.key_normalised, cleaned["key"], max_length=self.key_max_length)
            if key is not None:
                cleaned["key"] = key
        return cleaned


class ChannelForm(KeyedForm):
    key_max_length = rules.CHANNEL_KEY_MAX_LENGTH

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.has_error("key"):
            editable = {name: cleaned[name] for name in ("key", "name", "is_paid") if name in cleaned}
            self.apply(rules.channel_change_check, self.instance, editable)
        return cleaned


class CampaignForm(KeyedForm):
    def clean(self):
        cleaned = super().clean()
        if not (self.has_error("starts_on") or self.has_error("ends_on")):
            self.apply(rules.campaign_dates_check, cleaned.get("starts_on"), cleaned.get("ends_on"))
        if cleaned.get("budget") is not None:
            cleaned["budget"] = self.apply(rules.amount_checked, cleaned["budget"], field="budget")
        return cleaned


class LandingPageForm(KeyedForm):
    url = forms.CharField(label=_("URL"), required=False)

    def clean(self):
        cleaned = super().clean()
        if "url" in cleaned:
            url = self.apply(rules.landing_page_url, cleaned["url"])
            if url is not None:
                cleaned["url"] = url
        return cleaned


class FactForm(RuledForm):
    """A daily fact (spend, traffic, CTA statistics, keyword statistics): ``services.fact_check``."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        model = self._meta.model
        checked = self.apply(services.fact_check, model, self.values(services.FACT_FIELDS[model]), fact=self.instance)
        for name in self.fields:
            if checked is not None and name in checked:
                cleaned[name] = checked[name]  # normalised (keywords, amounts)
        return cleaned


class KeywordStatForm(FactForm):
    keyword = forms.CharField(label=_("keyword"), help_text=_("Lower-cased and trimmed."))


class EmailSendForm(KeyedForm):
    """An email send's key, date and counters: ``services.email_send_check``."""

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.apply(services.email_send_check, self.values(("sent_at", *EmailSend.COUNTERS)))
        return cleaned
