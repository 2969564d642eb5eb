"""The public tracking endpoint of one client account: /c/<slug>/track/"""

from django.urls import path

from campaigns import tracking

app_name = "tracking"
urlpatterns = [
    path("", tracking.track, name="track"),
]
