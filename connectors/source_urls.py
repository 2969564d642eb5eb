"""Sources of one client account: the page (/c/<slug>/sources/) and the API (/c/<slug>/api/v1/…)."""

from django.urls import path

from connectors import source_api, source_views

urlpatterns = [
    path("", source_views.sources_page, name="sources"),
    path("choose/<slug:kind>/", source_views.source_choose, name="source-choose"),
    path("<int:pk>/sync/", source_views.source_sync, name="source-sync"),
    path("<int:pk>/remove/", source_views.source_remove, name="source-remove"),
    path("platform-campaigns/<int:pk>/", source_views.platform_campaign_remap, name="platform-campaign-remap"),
]

api_urlpatterns = [
    path("sources/", source_api.SourceListCreateApi.as_view(), name="source-list"),
    path("sources/accounts/", source_api.SourceAccountsApi.as_view(), name="source-accounts"),
    path("sources/<int:pk>/", source_api.SourceDetailApi.as_view(), name="source-detail"),
    path("sources/<int:pk>/sync/", source_api.SourceSyncApi.as_view(), name="source-sync-api"),
    path("platform-campaigns/", source_api.PlatformCampaignListApi.as_view(), name="platform-campaign-list"),
    path(
        "platform-campaigns/<int:pk>/",
        source_api.PlatformCampaignDetailApi.as_view(),
        name="platform-campaign-detail",
    ),
]
