"""The connections pages at the public root (included by config/urls_public.py): the list, a platform's
consent started and its callback."""

from django.urls import path

from connectors import views

urlpatterns = [
    path("connections/", views.connections_view, name="connections"),
    path("connections/<str:provider>/start/", views.connection_start_view, name="connection-start"),
    path("connections/<str:provider>/callback/", views.connection_callback_view, name="connection-callback"),
    path("connections/<int:pk>/disconnect/", views.connection_disconnect_view, name="connection-disconnect"),
]
