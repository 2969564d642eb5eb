from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from campaigns.models import Channel
from campaigns.serializers import ChannelInputSerializer, ChannelOutputSerializer
from campaigns.services import channel_create


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


class ChannelDetailApi(generics.RetrieveAPIView):
    queryset = Channel.objects.all()
    serializer_class = ChannelOutputSerializer
    lookup_field = "key"
