from django.urls import path

from campaigns import api

app_name = "campaigns"
urlpatterns = [
    path("channels/", api.ChannelListCreateApi.as_view(), name="channel-list"),
    path("channels/<slug:key>/", api.ChannelDetailApi.as_view(), name="channel-detail"),
    path("campaigns/", api.CampaignListCreateApi.as_view(), name="campaign-list"),
    path("campaigns/<slug:key>/", api.CampaignDetailApi.as_view(), name="campaign-detail"),
    path("offers/", api.OfferListCreateApi.as_view(), name="offer-list"),
    path("offers/<slug:key>/", api.OfferDetailApi.as_view(), name="offer-detail"),
    path("landing-pages/", api.LandingPageListCreateApi.as_view(), name="landing-page-list"),
    path("landing-pages/<slug:key>/", api.LandingPageDetailApi.as_view(), name="landing-page-detail"),
    path("ctas/", api.CTAListCreateApi.as_view(), name="cta-list"),
    path("ctas/<slug:key>/", api.CTADetailApi.as_view(), name="cta-detail"),
    path("email-sends/", api.EmailSendListCreateApi.as_view(), name="email-send-list"),
    path("email-sends/<slug:key>/", api.EmailSendDetailApi.as_view(), name="email-send-detail"),
    path("spend/", api.SpendListCreateApi.as_view(), name="spend-list"),
    path("spend/<int:pk>/", api.SpendDetailApi.as_view(), name="spend-detail"),
    path("traffic/", api.TrafficListCreateApi.as_view(), name="traffic-list"),
    path("traffic/<int:pk>/", api.TrafficDetailApi.as_view(), name="traffic-detail"),
    path("cta-stats/", api.CTAStatListCreateApi.as_view(), name="cta-stat-list"),
    path("cta-stats/<int:pk>/", api.CTAStatDetailApi.as_view(), name="cta-stat-detail"),
    path("keyword-stats/", api.KeywordStatListCreateApi.as_view(), name="keyword-stat-list"),
    path("keyword-stats/<int:pk>/", api.KeywordStatDetailApi.as_view(), name="keyword-stat-detail"),
]
