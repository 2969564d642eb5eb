"""Annotation API shapes. Channels and campaigns are named by their keys, as in the KPI rows; every
field rule is :func:`annotations.services.annotation_fields_check`'s (same words as the admin and
the dashboard)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from annotations.models import Annotation
from annotations.services import annotation_fields_check
from campaigns.models import Campaign, Channel
from config.errors import DomainError

FIELDS = ("start", "end", "text", "channel", "campaign")


class AnnotationSerializer(serializers.ModelSerializer):
    # No length or presence check of DRF's own: the service answers, in its words.
    start = serializers.DateField(required=False, allow_null=True, help_text=_("The first day the note is about."))
    end = serializers.DateField(
        required=False, allow_null=True, help_text=_("The last day, for a span (empty: the start day alone).")
    )
    text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text=_("1-500 characters.")
    )
    channel = serializers.SlugRelatedField(
        slug_field="key",
        queryset=Channel.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The channel's key, for a note about one channel."),
    )
    campaign = serializers.SlugRelatedField(
        slug_field="key",
        queryset=Campaign.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The campaign's key, for a note about one campaign (not with a channel)."),
    )
    author = serializers.SerializerMethodField(help_text=_("The email of who wrote it."))

    class Meta:
        model = Annotation
        fields = ["id", *FIELDS, "author", "created_at", "updated_at"]
        read_only_fields = ["id", "author", "created_at", "updated_at"]

    def get_author(self, note: Annotation) -> str | None:
        return note.author.email if note.author_id and note.author else None

    def validate(self, attrs):
        # PATCH keeps the stored values it does not name; PUT replaces every field.
        stored = {name: getattr(self.instance, name) for name in FIELDS} if self.instance and self.partial else {}
        try:
            return annotation_fields_check(**(dict.fromkeys(FIELDS) | stored | attrs))
        except DomainError as error:
            raise serializers.ValidationError(error.as_dict()) from error


class AnnotationQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text=_("Notes overlapping this day or later."))
    date_to = serializers.DateField(required=False, help_text=_("Notes overlapping this day or earlier."))
    channel = serializers.CharField(required=False, max_length=64, help_text=_("Only this channel's notes."))
    campaign = serializers.CharField(required=False, max_length=100, help_text=_("Only this campaign's notes."))

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_from": [_("The range starts after it ends.")]})
        return attrs


class AnnotationBriefSerializer(serializers.Serializer):
    """The note an anomaly carries as its likely explanation."""

    id = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)
    text = serializers.CharField()
    channel = serializers.CharField(allow_null=True)
    campaign = serializers.CharField(allow_null=True)
