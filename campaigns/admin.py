from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.admin_forms import CampaignForm, ChannelForm, KeyedForm, LandingPageForm
from campaigns.models import Campaign, Channel, EmailProviderHook, LandingPage, Offer
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


@admin.register(Channel, site=tenant_admin_site)
class ChannelAdmin(TenantModelAdmin):
    # The form refuses what the API refuses (campaigns.rules.channel_change_check): any change to a
    # built-in GA4 channel, and a new key for the client's own.
    form = ChannelForm
    list_display = ["key", "shown_name", "is_paid", "is_builtin"]
    list_filter = ["is_paid", "is_builtin"]
    search_fields = ["key", "name"]

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, obj):
        return str(obj)  # a built-in channel in the page's language (campaigns.channels.channel_label)

    def get_fields(self, request, obj=None):
        # Nothing of a built-in channel may change: its page shows it, named in the page's language.
        return (
            ["key", "shown_name", "is_paid"] if obj is not None and obj.is_builtin else super().get_fields(request, obj)
        )

    def get_readonly_fields(self, request, obj=None):
        return (
            self.get_fields(request, obj)
            if obj is not None and obj.is_builtin
            else super().get_readonly_fields(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_builtin)


@admin.register(Campaign, site=tenant_admin_site)
class CampaignAdmin(TenantModelAdmin):
    form = CampaignForm
    list_display = ["key", "name", "channel", "status", "starts_on", "ends_on", "budget"]
    list_filter = ["status", "channel"]
    search_fields = ["key", "name", "utm_campaign"]


@admin.register(Offer, site=tenant_admin_site)
class OfferAdmin(TenantModelAdmin):
    form = KeyedForm
    list_display = ["key", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["key", "name"]


@admin.register(LandingPage, site=tenant_admin_site)
class LandingPageAdmin(TenantModelAdmin):
    form = LandingPageForm
    list_display = ["key", "name", "url", "offer", "campaign"]
    search_fields = ["key", "name", "url"]


class EmailProviderHookForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; left blank on a change, the saved one stays."""

    class Meta:
        model = EmailProviderHook
        fields = ["provider", "basic_auth", "signing_key", "is_active"]
        widgets = {
            "basic_auth": forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            "signing_key": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        }
        help_texts = {
            "basic_auth": _(
                "SendGrid, Brevo, Mailjet: “username:password”, also to put in the webhook URL you give "
                "the provider. Leave blank to keep the saved value."
            ),
            "signing_key": _(
                "Mailgun: the HTTP webhook signing key (Mailgun › Sending › Webhooks). Leave blank to "
                "keep the saved value."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for name in ("basic_auth", "signing_key"):
                if not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


MASK = "••••••••"


def _masked_credentials(hook: EmailProviderHook) -> str:
    if hook.uses_basic_auth:
        username = hook.basic_auth.partition(":")[0]
        return f"{username}:{MASK}" if username else ""
    key = hook.signing_key
    return f"{MASK}{key[-4:]}" if len(key) >= 16 else (MASK if key else "")


def _webhook_url_display(request):
    """The hook's URL on this server, for the provider's console. Built from the request (host and
    client prefix), so the admin makes one display function per request and reuses it."""
    display = getattr(request, "_email_webhook_url_display", None)
    if display is not None:
        return display

    @admin.display(description=_("webhook URL"))
    def webhook_url(hook: EmailProviderHook):
        if hook is None or not hook.pk:
            return _("Shown once saved.")
        url = request.build_absolute_uri(reverse("email_webhooks:tracking", kwargs={"provider": hook.provider}))
        if not hook.uses_basic_auth:
            return format_html("<code>{}</code>", url)
        scheme, _sep, rest = url.partition("://")
        username = hook.basic_auth.partition(":")[0]
        with_auth = f"{scheme}://{username}:{_('PASSWORD')}@{rest}"
        return format_html(
            "<code>{}</code><br><small>{}</small> <code>{}</code>",
            url,
            _("With the basic auth credentials, as providers ask for it:"),
            with_auth,
        )

    request._email_webhook_url_display = webhook_url
    return webhook_url


@admin.register(EmailProviderHook, site=tenant_admin_site)
class EmailProviderHookAdmin(TenantModelAdmin):
    form = EmailProviderHookForm
    list_filter = ["is_active"]

    def get_list_display(self, request):
        return ["provider", "is_active", "credentials", _webhook_url_display(request), "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["credentials", _webhook_url_display(request)]

    @admin.display(description=_("saved credentials"))
    def credentials(self, hook: EmailProviderHook) -> str:
        return _masked_credentials(hook) if hook is not None and hook.pk else "—"


from campaigns import admin_facts  # noqa: E402, F401  (registers the facts admin)
from campaigns.imports import admin as imports_admin  # noqa: E402, F401  (registers the imports admin)
