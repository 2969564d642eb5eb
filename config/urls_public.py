"""URLs outside any client: login, the client switcher, the platform admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from accounts import login, logout
from alerts import api_defaults as alert_defaults_api
from config.favicon import favicon
from connectors import api as connectors_api
from portfolio import api as portfolio_api
from portfolio import views as portfolio_views
from tenants import api, views

urlpatterns = [
    path("", portfolio_views.home, name="home"),
    path("accounts/login/", login.LoginView.as_view(), name="login"),
    path("accounts/logout/", logout.LogoutView.as_view(), name="logout"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/language/", views.language_switch, name="language_switch"),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("", include("portfolio.urls")),  # client account pages and /api/v1/clients/
    path("", include("connectors.urls")),  # /connections/: the agency's Google and Meta connections
    path("admin/", admin.site.urls),
    path("api/v1/tokens/", api.TokenListCreateApi.as_view(), name="token-list"),
    path("api/v1/tokens/<slug:token_key>/", api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("api/v1/portfolio/", portfolio_api.PortfolioApi.as_view(), name="portfolio"),
    path(
        "api/v1/alert-defaults/", alert_defaults_api.AgencyAlertRuleListCreateApi.as_view(), name="alert-default-list"
    ),
    path(
        "api/v1/alert-defaults/<int:pk>/",
        alert_defaults_api.AgencyAlertRuleDetailApi.as_view(),
        name="alert-default-detail",
    ),
    path("api/v1/connections/", connectors_api.ConnectionListApi.as_view(), name="api-connection-list"),
    path("api/v1/connections/<int:pk>/", connectors_api.ConnectionDetailApi.as_view(), name="api-connection-detail"),
    path(
        "api/v1/schema/",
        SpectacularAPIView.as_view(urlconf="config.urls_public", permission_classes=[AllowAny]),
        name="public-api-schema",
    ),
]

handler400 = "config.api_errors.bad_request"  # JSON under the API
handler404 = "config.api_errors.not_found"  # JSON under the API
handler500 = "config.api_errors.server_error"  # JSON under the API
