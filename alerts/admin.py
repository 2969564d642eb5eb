"""Admin of alerts: a client's rules in its tenant admin (managers), its alerts and their delivery
log read-only; the agency default rules in the platform admin. Both forms check a rule with
``alerts.rules.rule_clean`` (the API's and the page's rule). Channels are shown masked
(``alerts.rules.channels_public``: a webhook's secret, a Slack or Teams URL), in the form and to
view-only users alike; a masked value saved back unchanged keeps the stored one."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alerts.models import MAX_RULES, Alert, AlertDelivery, AlertRule
from alerts.rules import channels_public, rule_clean, rules_count_check
from portfolio.models import MAX_AGENCY_ALERT_RULES, AgencyAlertRule
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site

CHECKED = ("kind", "kpi", "dimension", "key", "threshold", "stale_days", "stale_source", "channels")


class _RuleForm(forms.ModelForm):
    client_level = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the stored credentials never reach the page
            self.initial["channels"] = channels_public(self.instance.channels)

    def clean(self):
        data = super().clean()
        given = {name: data.get(name) for name in CHECKED if name in data}
        previous = self.instance.channels if self.instance.pk else None
        try:
            data.update(rule_clean(given, client_level=self.client_level, previous_channels=previous))
            if not self.instance.pk:
                self._count_check()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data

    def _count_check(self) -> None:
        rules_count_check(AlertRule.objects.count(), MAX_RULES)


class AlertRuleForm(_RuleForm):
    class Meta:
        model = AlertRule
        fields = ["kind", "kpi", "dimension", "key", "threshold", "stale_days", "stale_source", "channels", "active"]


class AgencyAlertRuleForm(_RuleForm):
    client_level = False

    class Meta:
        model = AgencyAlertRule
        fields = ["agency", *AlertRuleForm.Meta.fields]

    def _count_check(self) -> None:
        agency = self.cleaned_data.get("agency")
        if agency is not None:
            rules_count_check(AgencyAlertRule.objects.filter(agency=agency).count(), MAX_AGENCY_ALERT_RULES)


class _MaskedChannels:
    """A view-only user sees every field read-only, drawn from the stored value: the channels are
    swapped for their masked form."""

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields = ["channels_shown" if name == "channels" else name for name in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "channels_shown"]

    @admin.display(description=_("channels"))
    def channels_shown(self, obj) -> str:
        return json.dumps(channels_public(obj.channels), ensure_ascii=False)


@admin.register(AlertRule, site=tenant_admin_site)
class AlertRuleAdmin(_MaskedChannels, TenantModelAdmin):
    form = AlertRuleForm
    list_display = ["kind", "kpi", "dimension", "key", "active", "created_at"]
    list_filter = ["kind", "active"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class _ReadOnly(TenantModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert, site=tenant_admin_site)
class AlertAdmin(_ReadOnly):
    list_display = ["kind", "subject", "period", "state", "opened_at", "resolved_at"]
    list_filter = ["kind", "state"]
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(AlertDelivery, site=tenant_admin_site)
class AlertDeliveryAdmin(_ReadOnly):
    list_display = ["alert", "event", "channel_index", "status", "attempts", "last_status_code", "sent_at"]
    list_filter = ["event", "status"]
    readonly_fields = [
        "alert",
        "channel_index",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "log",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    exclude = ["channel"]  # it may hold a webhook's secret


@admin.register(AgencyAlertRule)
class AgencyAlertRuleAdmin(_MaskedChannels, admin.ModelAdmin):
    form = AgencyAlertRuleForm
    list_display = ["agency", "kind", "kpi", "active", "created_at"]
    list_filter = ["kind", "active"]
