"""Sales screens (server-rendered) of one client account: /c/<slug>/leads/…"""

app_name = "leads"
urlpatterns: list = []
