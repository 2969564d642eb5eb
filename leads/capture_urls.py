"""The public form-capture endpoint of one client account: /c/<slug>/capture/<form-key>/"""

app_name = "capture"
urlpatterns: list = []
