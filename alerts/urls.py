"""Pages of alerts (mounted under /c/<slug>/alerts/)."""

from django.urls import path

from alerts import views

urlpatterns = [path("", views.alerts_page, name="alerts-page")]
