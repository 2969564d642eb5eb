from django.contrib import admin

from campaigns.models import Campaign, Channel, LandingPage, Offer
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


@admin.register(Channel, site=tenant_admin_site)
class ChannelAdmin(TenantModelAdmin):
    list_display = ["key", "name", "is_paid", "is_builtin"]
    list_filter = ["is_paid", "is_builtin"]
    search_fields = ["key", "name"]

    def get_readonly_fields(self, request, obj=None):
        # The GA4 grouping is a shared convention: its keys and paid flags are not to be edited.
        return ["key", "is_paid"] if obj is not None and obj.is_builtin else []

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_builtin)


@admin.register(Campaign, site=tenant_admin_site)
class CampaignAdmin(TenantModelAdmin):
    list_display = ["key", "name", "channel", "status", "starts_on", "ends_on", "budget"]
    list_filter = ["status", "channel"]
    search_fields = ["key", "name", "utm_campaign"]


@admin.register(Offer, site=tenant_admin_site)
class OfferAdmin(TenantModelAdmin):
    list_display = ["key", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["key", "name"]


@admin.register(LandingPage, site=tenant_admin_site)
class LandingPageAdmin(TenantModelAdmin):
    list_display = ["key", "name", "url", "offer", "campaign"]
    search_fields = ["key", "name", "url"]
