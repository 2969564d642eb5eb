"""Dashboard pages of one client account, mounted at /c/<slug>/."""

from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.dashboard, name="client-home"),
    path("dashboard/<slug:chart>.csv", views.chart_download, name="dashboard-csv"),
    path("dashboard/pinned/", views.pinned_update, name="dashboard-pinned"),
    path("dashboard/branding/", views.branding_edit, name="dashboard-branding"),
    path("dashboard/logo", views.brand_logo, name="dashboard-logo"),
    path("dashboard/brand.css", views.brand_css, name="dashboard-brand-css"),
]
