"""Dashboard API of one client account: /c/<slug>/api/v1/dashboard/ and share-links/"""

from django.urls import path

from dashboards import api, sharing_api

urlpatterns = [
    path("dashboard/", api.DashboardApi.as_view(), name="dashboard-api"),
    path("share-links/", sharing_api.ShareLinkListCreateApi.as_view(), name="share-link-list"),
    path("share-links/<int:pk>/revoke/", sharing_api.ShareLinkRevokeApi.as_view(), name="share-link-revoke"),
]
