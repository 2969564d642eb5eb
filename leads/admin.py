"""The client's admin for the CRM. Every change goes through leads.services, like everywhere else."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from leads import services
from leads.gdpr import lead_export
from leads.models import (
    ATTRIBUTION_FIELDS,
    STAGE_ORDER,
    CaptureForm,
    ChangeOrigin,
    Lead,
    LeadNote,
    LeadSettings,
    MoveKind,
    ScoringRule,
    Stage,
    StageTransition,
)
from leads.selectors import lead_owners
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site

STAGE_FIELDS = ("stage", "mql_at", "sql_at", "customer_at", "is_lost", "lost_at", "lost_reason", "score", "owner")


class StageTransitionInline(admin.TabularInline):
    model = StageTransition
    extra = 0
    can_delete = False
    fields = ["recorded_at", "kind", "from_stage", "to_stage", "at", "by", "source", "reason"]
    readonly_fields = fields
    ordering = ["-recorded_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LeadNoteInline(admin.TabularInline):
    model = LeadNote
    extra = 0
    fields = ["created_at", "author", "body"]
    readonly_fields = ["created_at", "author", "body"]

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, action, done_message):
    """Apply a service to each selected lead; report refusals instead of failing the whole page."""
    done, refused = 0, []
    for lead in queryset:
        try:
            action(lead)
            done += 1
        except DomainError as exc:
            refused.append(f"{lead.email}: {exc.message}")
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    for refusal in refused:
        modeladmin.message_user(request, refusal, messages.ERROR)


def _move_action(stage: Stage, kind: MoveKind | None = None):
    """ "Move to <stage>" (forward; a lead it would move back is refused, asking for the kind), or, with a
    ``kind``, "Correct back to <stage>" / "Move back to <stage> (regression)" (docs/kpis.md §3)."""

    def action(modeladmin, request, queryset):
        _run(
            modeladmin,
            request,
            queryset,
            lambda lead: services.lead_move_stage(
                lead=lead, to=stage, kind=kind, by=request.user, source=ChangeOrigin.ADMIN
            ),
            _("%(count)d lead(s) moved."),
        )

    action.__name__ = f"move_to_{stage.value}" if kind is None else f"{kind.value}_to_{stage.value}"
    descriptions = {
        None: _("Move to %(stage)s"),
        MoveKind.CORRECTION: _("Correct back to %(stage)s (the later stages were never reached)"),
        MoveKind.REGRESSION: _("Move back to %(stage)s (regression: the reached stages stay)"),
    }
    action.short_description = descriptions[kind] % {"stage": stage.label}
    return action


# Moves back are offered to every stage but the last, once per kind.
BACK_ACTIONS = [_move_action(s, kind) for kind in MoveKind for s in STAGE_ORDER[:-1]]


@admin.action(description=_("Mark as lost"))
def mark_lost(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        lambda lead: services.lead_mark_lost(
            lead=lead, reason=str(_("Marked lost in the admin")), by=request.user, source=ChangeOrigin.ADMIN
        ),
        _("%(count)d lead(s) marked lost."),
    )


@admin.action(description=_("Re-open"))
def reopen(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        lambda lead: services.lead_reopen(lead=lead, by=request.user, source=ChangeOrigin.ADMIN),
        _("%(count)d lead(s) re-opened."),
    )


@admin.action(description=_("GDPR: export as JSON"))
def export_json(modeladmin, request, queryset):
    body = json.dumps(
        [lead_export(lead=lead, by=request.user) for lead in queryset], ensure_ascii=False, indent=2, default=str
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="pouls-contacts.json"'
    return response


@admin.action(description=_("GDPR: erase (and block re-capture)"))
def erase(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        lambda lead: services.lead_erase(lead=lead, block_recapture=True, by=request.user),
        _("%(count)d contact(s) erased."),
    )


class LeadAdminForm(forms.ModelForm):
    """The services' own checks, in ``clean``: a refused value is an error on the form, with the words
    the API and the imports use, never a message after "added successfully"."""

    def clean(self):
        data = super().clean()
        try:
            if self.instance.pk is None:
                self._check_new(data)
            else:
                changes = {name: data[name] for name in self.changed_data if name in data}
                services.lead_changes_check(lead=self.instance, changes=changes)
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    def _check_new(self, data: dict) -> None:
        if self.has_error("stage") or self.has_error("created_at"):
            return  # the field's own error says it; the record's rules need both
        services.lead_record_check(
            created_at=data.get("created_at") or timezone.now(),
            stage=data.get("stage") or Stage.LEAD,
            **{name: data.get(name) for name in ("mql_at", "sql_at", "customer_at", "lost_at", "deal_value")},
        )
        if data.get("owner") is not None:
            services.lead_owner_check(owner=data["owner"])


@admin.register(Lead, site=tenant_admin_site)
class LeadAdmin(TenantModelAdmin):
    form = LeadAdminForm
    list_display = [
        "email",
        "first_name",
        "last_name",
        "company",
        "stage",
        "is_lost",
        "channel",
        "offer",
        "score",
        "deal_value",
        "created_at",
    ]
    list_filter = ["stage", "is_lost", "channel", "campaign", "offer", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["email", "first_name", "last_name", "company"]
    list_select_related = ["channel", "offer"]
    date_hierarchy = "created_at"
    inlines = [StageTransitionInline, LeadNoteInline]
    actions = [*(_move_action(s) for s in Stage), *BACK_ACTIONS, mark_lost, reopen, export_json, erase]
    readonly_fields = [*STAGE_FIELDS, "created_at", "updated_at", "scoring_promoted_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "email",
                    "first_name",
                    "last_name",
                    "company",
                    "job_title",
                    "company_size",
                    "phone",
                    "deal_value",
                ]
            },
        ),
        (
            _("Attribution"),
            {"fields": ATTRIBUTION_FIELDS},
        ),
        (
            _("Lifecycle (use the actions or the sales screens)"),
            {"fields": [*STAGE_FIELDS, "scoring_promoted_at", "created_at", "updated_at"]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["score", "updated_at", "scoring_promoted_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            # This client's people who may own leads; never the platform's whole user list. Anyone else
            # gets the service's words, as in the API and the imports.
            kwargs["queryset"] = lead_owners(request.tenant).order_by("email")
            kwargs["error_messages"] = {"invalid_choice": services.OWNER_REFUSED}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The services own every write; the form's clean() has applied their checks already.
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            services.lead_update(lead=obj, changes=changes, by=request.user, source=ChangeOrigin.ADMIN)
        else:
            record = services.LeadInput(
                **{k: v for k, v in form.cleaned_data.items() if k in services.LeadInput.__dataclass_fields__}
            )
            obj.pk = services.lead_upsert(record=record, by=request.user, source=ChangeOrigin.ADMIN)[0].pk

    def delete_model(self, request, obj):
        services.lead_erase(lead=obj, block_recapture=False, by=request.user)

    def delete_queryset(self, request, queryset):
        for lead in queryset:
            services.lead_erase(lead=lead, block_recapture=False, by=request.user)


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = list(services.SCORING_RULE_FIELDS)

    def clean(self):
        data = super().clean()
        try:
            services.scoring_rule_validate(
                field=data.get("field", ""), operator=data.get("operator", ""), value=data.get("value", "")
            )
        except DomainError as exc:
            raise forms.ValidationError({exc.field: exc.message}) from exc
        return data


@admin.register(ScoringRule, site=tenant_admin_site)
class ScoringRuleAdmin(TenantModelAdmin):
    """Every change goes through the scoring-rule services, which rescore the leads (a delete too)."""

    form = ScoringRuleForm
    list_display = ["name", "field", "operator", "value", "points", "max_points", "is_active"]
    list_filter = ["field", "is_active"]

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            services.scoring_rule_update(rule=obj, changes=changes)
        else:
            values = {name: form.cleaned_data[name] for name in services.SCORING_RULE_FIELDS}
            obj.pk = services.scoring_rule_create(**values).pk

    def delete_model(self, request, obj):
        services.scoring_rules_delete(rules=[obj])

    def delete_queryset(self, request, queryset):
        services.scoring_rules_delete(rules=queryset)


@admin.register(LeadSettings, site=tenant_admin_site)
class LeadSettingsAdmin(TenantModelAdmin):
    list_display = ["__str__", "mql_threshold", "block_erased_emails"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not LeadSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        services.lead_settings_update(mql_threshold=obj.mql_threshold, block_erased_emails=obj.block_erased_emails)


@admin.register(CaptureForm, site=tenant_admin_site)
class CaptureFormAdmin(TenantModelAdmin):
    list_display = ["key", "name", "offer", "landing_page", "rate_limit_per_minute", "is_active"]
    list_filter = ["is_active"]
