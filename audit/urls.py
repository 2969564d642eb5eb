"""The audit log's page and API, in the public schema, included at the root by config/urls_public.py."""

from django.urls import path

from audit import api, views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("api/v1/audit/", api.AuditEventListApi.as_view(), name="audit-event-list"),
]
