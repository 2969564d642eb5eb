"""Marketing data REST API (/c/<slug>/api/v1/): thin callers of campaigns.services.

Lists are filtered (``campaigns.filters``), ordered (``?ordering=``) and paginated; related objects
are named by their key. Catalogue rows (campaigns, offers, landing pages, CTAs, email sends) are
looked up by key, daily facts by id. Members read; everyone but viewers writes; deleting a channel
or a campaign is for managers.
"""

from __future__ import annotations

from functools import partial

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from campaigns import services
from campaigns.filters import (
    CampaignFilter,
    CTAFilter,
    CTAStatFilter,
    EmailSendFilter,
    KeywordStatFilter,
    LandingPageFilter,
    OfferFilter,
    SpendFilter,
    TrafficFilter,
)
from campaigns.models import CTA, Campaign, Channel, CTAStat, EmailSend, KeywordStat, LandingPage, Offer, Spend, Traffic
from campaigns.serializers import (
    CampaignInputSerializer,
    CampaignOutputSerializer,
    ChannelInputSerializer,
    ChannelOutputSerializer,
    ChannelUpdateInputSerializer,
    CTAInputSerializer,
    CTAOutputSerializer,
    CTAStatInputSerializer,
    CTAStatOutputSerializer,
    EmailSendInputSerializer,
    EmailSendOutputSerializer,
    KeywordStatInputSerializer,
    KeywordStatOutputSerializer,
    LandingPageInputSerializer,
    LandingPageOutputSerializer,
    OfferInputSerializer,
    OfferOutputSerializer,
    SpendInputSerializer,
    SpendOutputSerializer,
    TrafficInputSerializer,
    TrafficOutputSerializer,
)
from campaigns.services import channel_create
from tenants.permissions import ClientManagerPermission


def _writes(input_serializer, output_serializer):
    """OpenAPI of a list's POST (201 with the row)."""
    return extend_schema_view(post=extend_schema(request=input_serializer, responses={201: output_serializer}))


def _edits(input_serializer, output_serializer, *, on_delete: str):
    """OpenAPI of a detail's PATCH and DELETE."""
    return extend_schema_view(
        patch=extend_schema(request=input_serializer, responses=output_serializer),
        delete=extend_schema(responses={204: None}, description=on_delete),
    )


class _ListCreateApi(generics.ListAPIView):
    # GET: the list; POST: the input serializer checks types, ``writer`` the rules, and saves.
    # (No docstring here: OpenAPI would show it for every subclass without one.)

    input_serializer_class: type
    writer = None  # writer(None, **values) -> the new row

    def post(self, request):
        data = self.input_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        record = type(self).writer(None, **data.validated_data)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


class _DetailApi(generics.RetrieveAPIView):
    # GET; PATCH: only the fields sent change; DELETE.

    input_serializer_class: type
    writer = None  # writer(row, **changes) -> the row
    remover = staticmethod(services.record_delete)
    manager_deletes = False

    def get_permissions(self):
        if self.manager_deletes and getattr(self.request, "method", None) == "DELETE":
            return [ClientManagerPermission()]
        return super().get_permissions()

    def patch(self, request, **kwargs):
        record = self.get_object()
        data = self.input_serializer_class(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        record = type(self).writer(record, **data.validated_data)
        return Response(self.get_serializer(record).data)

    def delete(self, request, **kwargs):
        type(self).remover(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- channels ------------------------------------------------------------------------------------


class ChannelListCreateApi(generics.ListAPIView):
    """Channels of this client account: GA4's built-in grouping plus the client's own."""

    queryset = Channel.objects.all()
    serializer_class = ChannelOutputSerializer
    filterset_fields = ["is_paid", "is_builtin"]
    ordering_fields = ["key", "name"]

    @extend_schema(request=ChannelInputSerializer, responses={201: ChannelOutputSerializer})
    def post(self, request):
        data = ChannelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_create(**data.validated_data)
        return Response(ChannelOutputSerializer(channel).data, status=status.HTTP_201_CREATED)


@_edits(
    ChannelUpdateInputSerializer,
    ChannelOutputSerializer,
    on_delete="Managers only. A built-in channel, or one campaigns, leads or facts use, is a 400.",
)
class ChannelDetailApi(_DetailApi):
    """A channel. Only the client's own channels change (name, paid flag): another key, or any change
    to a built-in channel, is a 400 (``campaigns.rules.channel_change_check``, as in the admin)."""

    queryset = Channel.objects.all()
    serializer_class = ChannelOutputSerializer
    input_serializer_class = ChannelUpdateInputSerializer
    lookup_field = "key"
    writer = staticmethod(services.channel_update)
    remover = staticmethod(services.channel_delete)
    manager_deletes = True


# --- catalogue -----------------------------------------------------------------------------------


@_writes(CampaignInputSerializer, CampaignOutputSerializer)
class CampaignListCreateApi(_ListCreateApi):
    """Campaigns of this client account, by key. POST creates one; its channel is named by key."""

    queryset = Campaign.objects.select_related("channel")
    serializer_class = CampaignOutputSerializer
    input_serializer_class = CampaignInputSerializer
    filterset_class = CampaignFilter
    ordering_fields = ["key", "name", "starts_on", "ends_on", "budget", "status"]
    ordering = ["key"]
    writer = staticmethod(services.campaign_save)


@_edits(
    CampaignInputSerializer,
    CampaignOutputSerializer,
    on_delete="Managers only. Deletes the campaign's spend rows; leads, landing pages and email sends stay, "
    "without a campaign.",
)
class CampaignDetailApi(_DetailApi):
    """A campaign, by key. PATCH changes only the fields sent (the key too)."""

    queryset = Campaign.objects.select_related("channel")
    serializer_class = CampaignOutputSerializer
    input_serializer_class = CampaignInputSerializer
    lookup_field = "key"
    writer = staticmethod(services.campaign_save)
    manager_deletes = True


@_writes(OfferInputSerializer, OfferOutputSerializer)
class OfferListCreateApi(_ListCreateApi):
    """Offers (e-books, webinars, demos…) of this client account, by key."""

    queryset = Offer.objects.all()
    serializer_class = OfferOutputSerializer
    input_serializer_class = OfferInputSerializer
    filterset_class = OfferFilter
    ordering_fields = ["key", "name", "kind"]
    ordering = ["key"]
    writer = staticmethod(services.offer_save)


@_edits(
    OfferInputSerializer,
    OfferOutputSerializer,
    on_delete="Leads, landing pages and capture forms of the offer stay, without an offer.",
)
class OfferDetailApi(_DetailApi):
    """An offer, by key. PATCH changes only the fields sent."""

    queryset = Offer.objects.all()
    serializer_class = OfferOutputSerializer
    input_serializer_class = OfferInputSerializer
    lookup_field = "key"
    writer = staticmethod(services.offer_save)


@_writes(LandingPageInputSerializer, LandingPageOutputSerializer)
class LandingPageListCreateApi(_ListCreateApi):
    """Landing pages, by key, with the offer and the campaign they serve (by key)."""

    queryset = LandingPage.objects.select_related("offer", "campaign")
    serializer_class = LandingPageOutputSerializer
    input_serializer_class = LandingPageInputSerializer
    filterset_class = LandingPageFilter
    ordering_fields = ["key", "name", "url"]
    ordering = ["key"]
    writer = staticmethod(services.landing_page_save)


@_edits(
    LandingPageInputSerializer,
    LandingPageOutputSerializer,
    on_delete="Deletes the page's traffic rows; leads, CTAs and capture forms stay, without a page.",
)
class LandingPageDetailApi(_DetailApi):
    """A landing page, by key. PATCH changes only the fields sent."""

    queryset = LandingPage.objects.select_related("offer", "campaign")
    serializer_class = LandingPageOutputSerializer
    input_serializer_class = LandingPageInputSerializer
    lookup_field = "key"
    writer = staticmethod(services.landing_page_save)


@_writes(CTAInputSerializer, CTAOutputSerializer)
class CTAListCreateApi(_ListCreateApi):
    """Calls-to-action, by key (the key the tracking snippet reads from data-pouls-cta)."""

    queryset = CTA.objects.select_related("landing_page")
    serializer_class = CTAOutputSerializer
    input_serializer_class = CTAInputSerializer
    filterset_class = CTAFilter
    ordering_fields = ["key", "name"]
    ordering = ["key"]
    writer = staticmethod(services.cta_save)


@_edits(CTAInputSerializer, CTAOutputSerializer, on_delete="Deletes the CTA's statistics (imported and tracked).")
class CTADetailApi(_DetailApi):
    """A call-to-action, by key. PATCH changes only the fields sent."""

    queryset = CTA.objects.select_related("landing_page")
    serializer_class = CTAOutputSerializer
    input_serializer_class = CTAInputSerializer
    lookup_field = "key"
    writer = staticmethod(services.cta_save)


@_writes(EmailSendInputSerializer, EmailSendOutputSerializer)
class EmailSendListCreateApi(_ListCreateApi):
    """Email sends, newest first. Provider webhooks keep counting into the counters set here."""

    queryset = EmailSend.objects.select_related("campaign")
    serializer_class = EmailSendOutputSerializer
    input_serializer_class = EmailSendInputSerializer
    filterset_class = EmailSendFilter
    ordering_fields = ["sent_at", "key", "name", "sent", "delivered", "unique_opens", "unique_clicks"]
    ordering = ["-sent_at", "-pk"]
    writer = staticmethod(services.email_send_save)


@_edits(
    EmailSendInputSerializer,
    EmailSendOutputSerializer,
    on_delete="Deletes the send's provider events and recipient states.",
)
class EmailSendDetailApi(_DetailApi):
    """An email send, by key. PATCH changes only the fields sent; delivered ≤ sent, unique opens ≤ delivered."""

    queryset = EmailSend.objects.select_related("campaign")
    serializer_class = EmailSendOutputSerializer
    input_serializer_class = EmailSendInputSerializer
    lookup_field = "key"
    writer = staticmethod(services.email_send_save)


# --- daily facts (one row per day and key; the API writes imported rows only) --------------------

FACT_ORDERING = ["-date", "-pk"]
TRACKED = "Rows counted by the tracking snippet (source “tracking”) are read-only: changing one is a 400."


@_writes(SpendInputSerializer, SpendOutputSerializer)
class SpendListCreateApi(_ListCreateApi):
    """Daily spend, one row per day and campaign, newest first."""

    queryset = Spend.objects.select_related("campaign")
    serializer_class = SpendOutputSerializer
    input_serializer_class = SpendInputSerializer
    filterset_class = SpendFilter
    ordering_fields = ["date", "amount", "updated_at"]
    ordering = FACT_ORDERING
    writer = staticmethod(partial(services.fact_save, Spend))


@_edits(SpendInputSerializer, SpendOutputSerializer, on_delete="Deletes the row.")
class SpendDetailApi(_DetailApi):
    """One day of a campaign's spend, by id. PATCH changes only the fields sent."""

    queryset = Spend.objects.select_related("campaign")
    serializer_class = SpendOutputSerializer
    input_serializer_class = SpendInputSerializer
    writer = staticmethod(partial(services.fact_save, Spend))


@_writes(TrafficInputSerializer, TrafficOutputSerializer)
class TrafficListCreateApi(_ListCreateApi):
    __doc__ = TRACKED
    queryset = Traffic.objects.select_related("channel", "landing_page")
    serializer_class = TrafficOutputSerializer
    input_serializer_class = TrafficInputSerializer
    filterset_class = TrafficFilter
    ordering_fields = ["date", "visits", "updated_at"]
    ordering = FACT_ORDERING
    writer = staticmethod(partial(services.fact_save, Traffic))


@_edits(TrafficInputSerializer, TrafficOutputSerializer, on_delete=TRACKED)
class TrafficDetailApi(_DetailApi):
    __doc__ = TRACKED
    queryset = Traffic.objects.select_related("channel", "landing_page")
    serializer_class = TrafficOutputSerializer
    input_serializer_class = TrafficInputSerializer
    writer = staticmethod(partial(services.fact_save, Traffic))


@_writes(CTAStatInputSerializer, CTAStatOutputSerializer)
class CTAStatListCreateApi(_ListCreateApi):
    __doc__ = TRACKED
    queryset = CTAStat.objects.select_related("cta")
    serializer_class = CTAStatOutputSerializer
    input_serializer_class = CTAStatInputSerializer
    filterset_class = CTAStatFilter
    ordering_fields = ["date", "views", "clicks", "updated_at"]
    ordering = FACT_ORDERING
    writer = staticmethod(partial(services.fact_save, CTAStat))


@_edits(CTAStatInputSerializer, CTAStatOutputSerializer, on_delete=TRACKED)
class CTAStatDetailApi(_DetailApi):
    __doc__ = TRACKED
    queryset = CTAStat.objects.select_related("cta")
    serializer_class = CTAStatOutputSerializer
    input_serializer_class = CTAStatInputSerializer
    writer = staticmethod(partial(services.fact_save, CTAStat))


@_writes(KeywordStatInputSerializer, KeywordStatOutputSerializer)
class KeywordStatListCreateApi(_ListCreateApi):
    """Daily visits per keyword and channel; keywords are stored lower-cased and trimmed."""

    queryset = KeywordStat.objects.select_related("channel")
    serializer_class = KeywordStatOutputSerializer
    input_serializer_class = KeywordStatInputSerializer
    filterset_class = KeywordStatFilter
    ordering_fields = ["date", "keyword", "visits", "impressions", "updated_at"]
    ordering = ["-date", "keyword", "pk"]
    writer = staticmethod(partial(services.fact_save, KeywordStat))


@_edits(KeywordStatInputSerializer, KeywordStatOutputSerializer, on_delete="Deletes the row.")
class KeywordStatDetailApi(_DetailApi):
    """One day of a keyword's visits, by id. PATCH changes only the fields sent."""

    queryset = KeywordStat.objects.select_related("channel")
    serializer_class = KeywordStatOutputSerializer
    input_serializer_class = KeywordStatInputSerializer
    writer = staticmethod(partial(services.fact_save, KeywordStat))
