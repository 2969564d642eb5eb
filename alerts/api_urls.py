"""API routes of alerts (mounted under /c/<slug>/api/v1/)."""

urlpatterns: list = []
