"""Dashboard API of one client account: /c/<slug>/api/v1/dashboard/"""

from django.urls import path

from dashboards import api

urlpatterns = [path("dashboard/", api.DashboardApi.as_view(), name="dashboard-api")]
