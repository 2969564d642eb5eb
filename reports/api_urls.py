"""Report API of one client account: /c/<slug>/api/v1/reports/… (docs/reports.md)."""

from django.urls import path

from reports import api

urlpatterns = [
    path("reports/", api.ReportListCreateApi.as_view(), name="report-list"),
    path("reports/<int:pk>/", api.ReportDetailApi.as_view(), name="report-detail"),
    path("reports/<int:pk>/preview/", api.ReportPreviewApi.as_view(), name="report-preview"),
    path("reports/<int:pk>/send/", api.ReportSendApi.as_view(), name="report-send"),
    path("reports/<int:pk>/deliveries/", api.ReportDeliveryListApi.as_view(), name="report-deliveries"),
    path(
        "reports/<int:pk>/deliveries/<int:delivery_id>/approve/",
        api.ReportDeliveryApproveApi.as_view(),
        name="report-delivery-approve",
    ),
    path(
        "reports/<int:pk>/deliveries/<int:delivery_id>/reject/",
        api.ReportDeliveryRejectApi.as_view(),
        name="report-delivery-reject",
    ),
    path(
        "reports/<int:pk>/deliveries/<int:delivery_id>/pdf/",
        api.ReportDeliveryPdfApi.as_view(),
        name="report-delivery-pdf",
    ),
]
