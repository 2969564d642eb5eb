"""CRM API of one client account: /c/<slug>/api/v1/…"""

urlpatterns: list = []
