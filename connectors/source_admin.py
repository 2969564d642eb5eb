"""The client admin of what the connectors wrote (tenant schema): the ad platforms' campaigns, whose
Pouls campaign is changed through ``platform_campaign_update`` as on the sources page (the source is
read again), and the connectors' coverage, read-only. Registered on the tenant admin site by
config.urls_tenants (campaigns, which owns the models, may not import the connectors' service)."""

from __future__ import annotations

from django.contrib import admin

from campaigns.models import FactCoverage, PlatformCampaign
from connectors.source_services import platform_campaign_update
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


@admin.register(PlatformCampaign, site=tenant_admin_site)
class PlatformCampaignAdmin(TenantModelAdmin):
    list_display = ["name", "source", "external_id", "campaign", "updated_at"]
    list_filter = ["source"]
    search_fields = ["name", "external_id", "campaign__key", "campaign__name"]
    list_select_related = ["campaign"]
    fields = ["source", "external_id", "name", "campaign", "created_at", "updated_at"]
    readonly_fields = ["source", "external_id", "name", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # the connector creates them on first sight

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the next sync would create it again

    def save_model(self, request, obj, form, change) -> None:
        before = PlatformCampaign.objects.get(pk=obj.pk)
        platform_campaign_update(before, obj.campaign)


@admin.register(FactCoverage, site=tenant_admin_site)
class FactCoverageAdmin(TenantModelAdmin):
    list_display = ["source", "fact", "first_day", "last_day", "updated_at"]
    list_filter = ["source", "fact"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # removing a source with its data deletes its coverage (the sources page)
