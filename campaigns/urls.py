from django.urls import path

from campaigns.api import ChannelDetailApi, ChannelListCreateApi

app_name = "campaigns"
urlpatterns = [
    path("channels/", ChannelListCreateApi.as_view(), name="channel-list"),
    path("channels/<slug:key>/", ChannelDetailApi.as_view(), name="channel-detail"),
]
