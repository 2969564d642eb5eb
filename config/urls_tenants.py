"""URLs of one client account. django-tenants mounts all of them under /c/<slug>/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from connectors import source_admin  # noqa: F401 (registers the platform campaigns on the client admin)
from connectors.source_urls import api_urlpatterns as source_api_urls
from tenants.tenant_admin import tenant_admin_site

api_v1 = [
    path("", include("campaigns.urls")),
    path("", include("leads.api_urls")),
    path("", include("campaigns.imports.urls")),
    path("", include("kpis.urls")),
    path("", include("annotations.api_urls")),
    path("", include("dashboards.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include(source_api_urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("dashboards.urls")),
    path("admin/", tenant_admin_site.urls),
    path("leads/", include("leads.urls")),
    path("annotations/", include("annotations.urls")),
    path("reports/", include("reports.urls")),
    path("alerts/", include("alerts.urls")),
    path("sources/", include("connectors.source_urls")),
    path("capture/", include("leads.capture_urls")),
    path("track/", include("campaigns.tracking_urls")),
    path("webhooks/email/", include("campaigns.webhook_urls")),
    path("api/v1/", include(api_v1)),
]

handler400 = "config.api_errors.bad_request"  # JSON under the API
handler404 = "config.api_errors.not_found"  # JSON under the API
handler500 = "config.api_errors.server_error"  # JSON under the API
