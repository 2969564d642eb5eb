"""Dashboard pages of one client account, mounted at /c/<slug>/."""

from django.urls import path

from dashboards import report_print_views, sharing_views, views

urlpatterns = [
    path("", views.dashboard, name="client-home"),
    path("dashboard/<slug:chart>.csv", views.chart_download, name="dashboard-csv"),
    path("dashboard/pinned/", views.pinned_update, name="dashboard-pinned"),
    path("dashboard/branding/", views.branding_edit, name="dashboard-branding"),
    path("dashboard/logo", views.brand_logo, name="dashboard-logo"),
    path("dashboard/brand.css", views.brand_css, name="dashboard-brand-css"),
    path("dashboard/share/", sharing_views.share_links, name="dashboard-share"),
    path("report-print/", report_print_views.report_print, name="dashboard-report-print"),
    # A share link's page, open without an account (dashboards.sharing).
    path("s/<slug:token>/", sharing_views.shared_dashboard, name="shared-dashboard"),
    path("s/<slug:token>/data/", sharing_views.shared_data, name="shared-dashboard-data"),
    path("s/<slug:token>/brand.css", sharing_views.shared_brand_css, name="shared-brand-css"),
    path("s/<slug:token>/logo", sharing_views.shared_logo, name="shared-logo"),
]
