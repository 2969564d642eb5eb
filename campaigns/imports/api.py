"""POST /c/<slug>/api/v1/imports/ (multipart: kind, file, partial) and the jobs' progress."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.imports.jobs import MAX_UPLOAD_BYTES, import_job_create
from campaigns.imports.runner import import_dry_run, import_kinds
from campaigns.models import ImportJob
from config.api_inputs import FormParser, MultiPartParser
from tenants.permissions import ClientManagerPermission, ClientTeamPermission


class ImportInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(import_kinds()))
    file = serializers.FileField(
        help_text=_("CSV (comma or semicolon separated, UTF-8 or Windows-1252) or XLSX; 50 MB at most.")
    )
    partial = serializers.BooleanField(default=False, help_text=_("Write the valid rows; return the rejected ones."))
    dry_run = serializers.BooleanField(
        default=False,
        help_text=_(
            "Check the file now and say what it would do (rows, errors, keys it would create), writing nothing."
        ),
    )

    def validate_file(self, file):
        if file.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(_("The file is larger than 50 MB."))
        return file


class ImportDryRunOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rows = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())
    rejected_count = serializers.IntegerField()
    refused = serializers.BooleanField(help_text=_("Whether the import would be refused whole."))
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
    would_create = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("The unknown keys the import would create, by kind of record (campaign, offer, landingpage, cta)."),
    )


class ImportJobOutputSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    awaiting_queue = serializers.BooleanField(
        read_only=True,
        help_text=_("The queue could not be reached: the job is kept (queued) and processed once the queue is back."),
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "filename",
            "partial",
            "status",
            "phase",
            "done",
            "total",
            "percent",
            "result",
            "errors",
            "rejected_count",
            "created_at",
            "started_at",
            "finished_at",
            "awaiting_queue",
        ]
        read_only_fields = fields


class ImportListCreateApi(generics.ListAPIView):
    """Imports of this client, newest first. POST uploads a file; a worker imports it (poll the job).
    The upload is accepted (202) even when the queue is down: the job then says ``awaiting_queue``.
    With ``dry_run`` the file is checked at once and nothing is stored (200): its errors, and the
    campaigns, offers, pages and CTAs it would create, so a misspelt key is caught before it is one."""

    queryset = ImportJob.objects.defer("data", "rejected_csv")
    serializer_class = ImportJobOutputSerializer
    permission_classes = [ClientTeamPermission, ClientManagerPermission]
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["kind", "status"]

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer},
        responses={202: ImportJobOutputSerializer, 200: ImportDryRunOutputSerializer},
    )
    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if data.validated_data["dry_run"]:  # nothing stored: the file is checked in this request
            preview = import_dry_run(
                kind=data.validated_data["kind"], data=upload.read(), partial=data.validated_data["partial"]
            )
            return Response(ImportDryRunOutputSerializer(preview).data, status=status.HTTP_200_OK)
        job = import_job_create(
            kind=data.validated_data["kind"],
            data=upload.read(),
            filename=upload.name,
            partial=data.validated_data["partial"],
            by=request.user,
        )
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def job_or_not_found(queryset, pk: int) -> ImportJob:
    """The job, or DRF's own "not found" in the reader's language (Django's 404 would say
    "No ImportJob matches the given query.", in English, naming the model's class)."""
    job = queryset.filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return job


class ImportDetailApi(generics.RetrieveAPIView):
    queryset = ImportJob.objects.defer("data", "rejected_csv")
    serializer_class = ImportJobOutputSerializer
    permission_classes = [ClientTeamPermission, ClientManagerPermission]

    def get_object(self):
        job = job_or_not_found(self.get_queryset(), self.kwargs["pk"])
        self.check_object_permissions(self.request, job)
        return job


class ImportRejectedRowsApi(APIView):
    """The rows a partial import rejected, as CSV with an ``error`` column."""

    permission_classes = [ClientTeamPermission, ClientManagerPermission]

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="Rejected rows")})
    def get(self, request, pk: int):
        job = job_or_not_found(ImportJob.objects.only("rejected_csv", "kind"), pk)
        response = HttpResponse(job.rejected_csv, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rejected-{job.kind}-{job.pk}.csv"'
        return response
