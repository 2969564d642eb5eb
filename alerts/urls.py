"""Pages of alerts (mounted under /c/<slug>/alerts/)."""

urlpatterns: list = []
