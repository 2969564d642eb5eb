"""Sales screens (server-rendered) of one client account: /c/<slug>/leads/…"""

from django.urls import path

app_name = "leads"
urlpatterns: list = []
