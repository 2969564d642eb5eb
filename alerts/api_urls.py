"""API routes of alerts (mounted under /c/<slug>/api/v1/)."""

from django.urls import path

from alerts import api

urlpatterns = [
    path("alerts/", api.AlertListApi.as_view(), name="alert-list"),
    path("alerts/<int:pk>/", api.AlertDetailApi.as_view(), name="alert-detail"),
    path("alerts/rules/", api.AlertRuleListCreateApi.as_view(), name="alert-rule-list"),
    path("alerts/rules/<int:pk>/", api.AlertRuleDetailApi.as_view(), name="alert-rule-detail"),
]
