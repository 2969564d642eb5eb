"""Pages of reports (mounted under /c/<slug>/reports/)."""

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.reports_page, name="reports"),
    path("new/", views.report_save, name="report-create"),
    path("<int:pk>/", views.report_save, name="report-update"),
    path("<int:pk>/delete/", views.report_delete, name="report-delete"),
    path("<int:pk>/preview.pdf", views.report_preview, name="report-page-preview"),
    path("<int:pk>/send/", views.report_send, name="report-page-send"),
    path("<int:pk>/deliveries/<int:delivery_id>/report.pdf", views.delivery_pdf, name="report-delivery-page-pdf"),
    path(
        "<int:pk>/deliveries/<int:delivery_id>/approve/",
        views.delivery_decide,
        {"decision": "approve"},
        name="report-page-approve",
    ),
    path(
        "<int:pk>/deliveries/<int:delivery_id>/reject/",
        views.delivery_decide,
        {"decision": "reject"},
        name="report-page-reject",
    ),
    # Open without an account: the signed link of an external recipient (reports.unsubscribe).
    path("unsubscribe/<str:token>/", views.unsubscribe_page, name="report-unsubscribe"),
]
