"""API routes of reports (mounted under /c/<slug>/api/v1/)."""

urlpatterns: list = []
