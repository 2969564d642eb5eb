"""Pages of reports (mounted under /c/<slug>/reports/)."""

urlpatterns: list = []
