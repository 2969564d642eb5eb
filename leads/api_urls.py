"""CRM API of one client account: /c/<slug>/api/v1/…"""

from django.urls import path

urlpatterns: list = []
