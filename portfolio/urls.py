"""Routes of the portfolio's client account pages and of the clients API, at the public root
(included by config/urls_public.py). The members' routes (``api/v1/clients/<slug>/members/…``) are
accounts'; each path here is matched whole, so neither shadows the other."""

from django.urls import path

from portfolio import api_clients, client_views, views

urlpatterns = [
    path("portfolio/headlines/", views.headlines_update, name="portfolio-headlines"),
    path("clients/new/", client_views.client_create_view, name="client-create"),
    path("clients/<slug:slug>/settings/", client_views.client_settings_view, name="client-settings"),
    path("clients/<slug:slug>/archive/", client_views.client_archive_view, name="client-archive"),
    path("clients/<slug:slug>/restore/", client_views.client_restore_view, name="client-restore"),
    path("api/v1/clients/", api_clients.ClientListCreateApi.as_view(), name="api-client-list"),
    path("api/v1/clients/<slug:slug>/", api_clients.ClientDetailApi.as_view(), name="api-client-detail"),
    path("api/v1/clients/<slug:slug>/archive/", api_clients.ClientArchiveApi.as_view(), name="api-client-archive"),
    path("api/v1/clients/<slug:slug>/restore/", api_clients.ClientRestoreApi.as_view(), name="api-client-restore"),
]
