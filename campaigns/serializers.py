from rest_framework import serializers

from campaigns.models import Channel


class ChannelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "key", "name", "is_paid", "is_builtin"]


class ChannelInputSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    is_paid = serializers.BooleanField(default=False)
