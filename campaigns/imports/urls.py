from django.urls import path

from campaigns.imports.api import ImportDetailApi, ImportListCreateApi, ImportRejectedRowsApi

urlpatterns = [
    path("imports/", ImportListCreateApi.as_view(), name="import-list"),
    path("imports/<int:pk>/", ImportDetailApi.as_view(), name="import-detail"),
    path("imports/<int:pk>/rejected/", ImportRejectedRowsApi.as_view(), name="import-rejected"),
]
