"""The platform admin (public schema, /admin/): agencies, client accounts, users, memberships.
Only platform staff (``is_staff``) get in. Client accounts are created, changed, archived and restored
through ``tenants.services`` (checked by one rule, recorded in the audit log)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from knox.admin import AuthTokenAdmin as KnoxAuthTokenAdmin
from knox.models import AuthToken

from config.errors import DomainError
from tenants.models import Agency, Client, Domain, Membership, User
from tenants.services import (
    CLIENT_SETTINGS,
    agency_reinstate,
    agency_suspend,
    client_archive,
    client_create,
    client_fields_checked,
    client_restore,
    client_settings_changeable,
    client_update,
    membership_grant,
)
from tenants.tenant_admin import ObjectIdLookup


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["agency", "client", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "default_language", "created_at", "suspended_at"]
    list_filter = [("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    readonly_fields = ["suspended_at"]
    inlines = [MembershipInline]
    actions = ["suspend", "reinstate"]

    @admin.action(description=_("Suspend the selected agencies (their people lose access, their data stays)"))
    def suspend(self, request, queryset):
        changed = sum(agency_suspend(agency, actor=request.user) for agency in queryset)
        self.message_user(
            request,
            ngettext("%(count)d agency suspended.", "%(count)d agencies suspended.", changed) % {"count": changed},
        )

    @admin.action(description=_("Reinstate the selected agencies"))
    def reinstate(self, request, queryset):
        changed = sum(agency_reinstate(agency, actor=request.user) for agency in queryset)
        self.message_user(
            request,
            ngettext("%(count)d agency reinstated.", "%(count)d agencies reinstated.", changed) % {"count": changed},
        )


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "slug", "agency", "time_zone", "currency", "is_active"]

    def clean(self):
        # The one rule of a client account's fields (tenants.services), for a new account's every
        # field and for a change's changed ones, in the words of the pages, the API and the command.
        data = super().clean()
        creating = self.instance.pk is None
        fields = [f for f in ("slug", *CLIENT_SETTINGS) if creating or f in self.changed_data and f != "slug"]
        try:
            if fields and not creating and not data.get("is_active"):
                client_settings_changeable(self.instance)  # archived, and staying so
            client_fields_checked(**{f: data.get(f) or "" for f in fields})
        except DomainError as exc:
            raise forms.ValidationError({exc.field: exc.message} if exc.field else exc.message) from exc
        return data


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ["name", "slug", "agency", "time_zone", "currency", "is_active", "created_at"]
    list_filter = ["agency", "is_active"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).accounts().select_related("agency")

    def get_readonly_fields(self, request, obj=None):
        # The slug names the schema and every URL of the client: fixed once created.
        return ["slug", "schema_name"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        # Through the services, so every change is checked by the one rule and kept in the audit log.
        if not change:
            created, _ = client_create(
                slug=obj.slug,
                name=obj.name,
                agency=obj.agency,
                time_zone=obj.time_zone,
                currency=obj.currency,
                actor=request.user,
            )
            obj.pk = created.pk
            obj.schema_name = created.schema_name
            return
        stored = Client.objects.get(pk=obj.pk)
        if "agency" in form.changed_data:
            Client.objects.filter(pk=obj.pk).update(agency=obj.agency)
        if "is_active" in form.changed_data and obj.is_active:
            client_restore(stored, actor=request.user)  # first: an archived account's settings do not change
        client_update(stored, actor=request.user, **{field: getattr(obj, field) for field in CLIENT_SETTINGS})
        if "is_active" in form.changed_data and not obj.is_active:
            client_archive(stored, actor=request.user)

    def delete_model(self, request, obj):
        # Archive instead: deleting would orphan the client's schema and its history.
        client_archive(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "agency", "client", "role"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "role", "agency", "client", "created_at"]
    list_filter = ["role", "agency"]
    search_fields = ["user__email", "client__name", "agency__name"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        saved = membership_grant(user=obj.user, role=obj.role, agency=obj.agency, client=obj.client)
        obj.pk = saved.pk


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["email", "full_name"]
    inlines = [UserMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "language")}),
        (_("Platform permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_delete_permission(self, request, obj=None):
        # Client schemas refer to users (owners, history); deactivate a user instead.
        return False


admin.site.register(Domain)
admin.site.site_header = _("Pouls · platform administration")
admin.site.site_title = _("Pouls platform admin")


# knox registers its tokens' admin; their ids are text, so an id with a NUL character must not reach the database.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(ObjectIdLookup, KnoxAuthTokenAdmin):
    pass
