"""KPI API of one client account: /c/<slug>/api/v1/kpis/…"""

from django.urls import path

from kpis import api
from kpis.custom import api as custom_api

urlpatterns = [
    path("kpis/", api.SnapshotListApi.as_view(), name="kpi-list"),
    path("kpis/definitions/", api.DefinitionListApi.as_view(), name="kpi-definitions"),
    path("kpis/pacing/", api.PacingApi.as_view(), name="kpi-pacing"),
    path("kpis/anomalies/", api.AnomalyListApi.as_view(), name="kpi-anomalies"),
    path("kpis/refresh/", api.RefreshApi.as_view(), name="kpi-refresh"),
    path("kpis/objectives/", api.ObjectiveListCreateApi.as_view(), name="kpi-objective-list"),
    path("kpis/objectives/<int:pk>/", api.ObjectiveDetailApi.as_view(), name="kpi-objective-detail"),
    path("kpis/settings/", api.KPISettingsApi.as_view(), name="kpi-settings"),
    path("kpis/custom/", custom_api.CustomKPIListCreateApi.as_view(), name="kpi-custom-list"),
    path("kpis/custom/<str:key>/", custom_api.CustomKPIDetailApi.as_view(), name="kpi-custom-detail"),
]
