"""Annotation API (/c/<slug>/api/v1/annotations/…): members read; everyone but viewers writes
(``ClientMemberPermission``). Writes go through ``annotations.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import services
from annotations.models import Annotation
from annotations.selectors import overlapping
from annotations.serializers import AnnotationQuerySerializer, AnnotationSerializer
from tenants.permissions import ClientMemberPermission

LIST_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="Notes overlapping this day or later."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Notes overlapping this day or earlier."),
    OpenApiParameter("channel", str, description="Only the notes of this channel (its key)."),
    OpenApiParameter("campaign", str, description="Only the notes of this campaign (its key)."),
]


def _notes():
    return Annotation.objects.select_related("channel", "campaign", "author")


class AnnotationListCreateApi(APIView):
    """The client's dated notes, oldest first; a note marks the dashboard's charts and explains the
    anomalies of its period (docs/kpis.md §6)."""

    permission_classes = [ClientMemberPermission]

    @extend_schema(parameters=LIST_PARAMETERS, responses=AnnotationSerializer(many=True))
    def get(self, request):
        params = request.query_params
        names = (("from", "date_from"), ("to", "date_to"), ("channel", "channel"), ("campaign", "campaign"))
        query = AnnotationQuerySerializer(data={target: params[name] for name, target in names if name in params})
        query.is_valid(raise_exception=True)
        values, notes = query.validated_data, _notes()
        notes = notes.filter(overlapping(values.get("date_from"), values.get("date_to")))
        if "channel" in values:
            notes = notes.filter(channel__key=values["channel"])
        if "campaign" in values:
            notes = notes.filter(campaign__key=values["campaign"])
        return Response(AnnotationSerializer(notes, many=True).data)

    @extend_schema(request=AnnotationSerializer, responses={201: AnnotationSerializer})
    def post(self, request):
        data = AnnotationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.annotation_create(**data.validated_data, author=request.user)
        return Response(AnnotationSerializer(note).data, status=status.HTTP_201_CREATED)


class AnnotationDetailApi(APIView):
    permission_classes = [ClientMemberPermission]

    @extend_schema(responses=AnnotationSerializer)
    def get(self, request, pk: int):
        return Response(AnnotationSerializer(get_object_or_404(_notes(), pk=pk)).data)

    @extend_schema(request=AnnotationSerializer, responses=AnnotationSerializer)
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(request=AnnotationSerializer, responses=AnnotationSerializer)
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.annotation_delete(get_object_or_404(Annotation, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, pk: int, *, partial: bool):
        note = get_object_or_404(_notes(), pk=pk)
        data = AnnotationSerializer(note, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return Response(AnnotationSerializer(services.annotation_update(note, **data.validated_data)).data)
