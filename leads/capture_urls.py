"""The public form-capture endpoint of one client account: /c/<slug>/capture/<form-key>/"""

from django.urls import path

app_name = "capture"
urlpatterns: list = []
