"""Report API (/c/<slug>/api/v1/reports/…, docs/reports.md): managers and agency people write
(``ClientManagerPermission``); sales and viewers read the schedules they receive and their
deliveries; only agency people approve a draft. Writes go through ``reports.services``."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.enqueue import task_send_on_commit
from dashboards.pdf import PdfRenderError
from reports import services
from reports.delivery import report_pdf_response
from reports.models import ReportDelivery, ReportSchedule
from reports.preview import RETRY_AFTER_SECONDS, PreviewBusy, preview_pdf
from reports.selectors import deliveries_of, delivery_visible, schedule_visible, schedules_visible
from reports.serializers import PeriodSerializer, ReportDeliverySerializer, ReportScheduleSerializer
from reports.tasks import report_deliver_task
from tenants.permissions import ClientManagerPermission

DELIVERIES_SHOWN = 100  # the newest; older ones stay in the table and the client admin
PDF_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf")


def _schedule(request, pk: int) -> ReportSchedule:
    return schedule_visible(request.client_access, request.user, pk)


class ReportListCreateApi(APIView):
    """The client's report schedules (for sales and viewers: those they receive), by name."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=ReportScheduleSerializer(many=True))
    def get(self, request):
        schedules = schedules_visible(request.client_access, request.user)
        return Response(ReportScheduleSerializer(schedules, many=True).data)

    @extend_schema(request=ReportScheduleSerializer, responses={201: ReportScheduleSerializer})
    def post(self, request):
        data = ReportScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = services.schedule_create(**data.validated_data, created_by=request.user)
        return Response(ReportScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ReportDetailApi(APIView):
    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=ReportScheduleSerializer)
    def get(self, request, pk: int):
        return Response(ReportScheduleSerializer(_schedule(request, pk)).data)

    @extend_schema(request=ReportScheduleSerializer, responses=ReportScheduleSerializer)
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(request=ReportScheduleSerializer, responses=ReportScheduleSerializer)
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.schedule_delete(_schedule(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, pk: int, *, partial: bool):
        schedule = _schedule(request, pk)
        data = ReportScheduleSerializer(schedule, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        updated = services.schedule_update(schedule, by_agency=request.client_access.is_agency, **data.validated_data)
        return Response(ReportScheduleSerializer(updated).data)


class ReportPreviewApi(APIView):
    """The report's PDF for a period, rendered now (nothing is sent; cached a few minutes and bounded
    in concurrency: ``reports.preview``)."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(
        parameters=[OpenApiParameter("period_start", OpenApiTypes.DATE, description="A day of the period.")],
        responses={200: PDF_RESPONSE},
    )
    def get(self, request, pk: int):
        schedule = _schedule(request, pk)
        query = PeriodSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = services.chosen_period(schedule, query.validated_data.get("period_start"), now=timezone.now())
        try:
            content = preview_pdf(schedule, period_start=start, period_end=end)
        except PreviewBusy:
            return Response(
                {"detail": _("Another preview is being rendered; try again in a moment.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        except PdfRenderError:
            return Response(
                {"detail": _("The report could not be rendered; try again in a moment.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        delivery = ReportDelivery(schedule=schedule, period_start=start, period_end=end)
        return report_pdf_response(request.tenant, delivery, content)


class ReportSendApi(APIView):
    """Send the report now (the worker renders and sends it): 202 with the delivery."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(request=PeriodSerializer, responses={202: ReportDeliverySerializer})
    def post(self, request, pk: int):
        schedule = _schedule(request, pk)
        data = PeriodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = services.delivery_request(
            schedule,
            period_start=data.validated_data.get("period_start"),
            user=request.user,
            approved=request.client_access.is_agency,
        )
        task_send_on_commit(report_deliver_task, args=(delivery.pk,))
        return Response(ReportDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class ReportDeliveryListApi(APIView):
    """A schedule's deliveries, newest first (the last 100): what was sent, to whom, and how it went."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(responses=ReportDeliverySerializer(many=True))
    def get(self, request, pk: int):
        deliveries = deliveries_of(_schedule(request, pk))[:DELIVERIES_SHOWN]
        return Response(ReportDeliverySerializer(deliveries, many=True).data)


def _delivery(request, pk: int, delivery_id: int) -> ReportDelivery:
    return delivery_visible(request.client_access, request.user, pk, delivery_id)


def _agency_only(request) -> None:
    if not request.client_access.is_agency:
        raise PermissionDenied(_("Only the agency approves a report before it is sent."))


class ReportDeliveryApproveApi(APIView):
    """An agency person approves a draft: it is queued and sent."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(request=None, responses=ReportDeliverySerializer)
    def post(self, request, pk: int, delivery_id: int):
        _agency_only(request)
        delivery = services.delivery_approve(_delivery(request, pk, delivery_id), user=request.user)
        task_send_on_commit(report_deliver_task, args=(delivery.pk,))
        return Response(ReportDeliverySerializer(delivery).data)


class ReportDeliveryRejectApi(APIView):
    """An agency person rejects a draft: it is never sent."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(request=None, responses=ReportDeliverySerializer)
    def post(self, request, pk: int, delivery_id: int):
        _agency_only(request)
        delivery = services.delivery_reject(_delivery(request, pk, delivery_id), user=request.user)
        return Response(ReportDeliverySerializer(delivery).data)


class ReportDeliveryPdfApi(APIView):
    """A delivery's rendered PDF: the draft's preview while it awaits approval, then what was sent."""

    permission_classes = [ClientManagerPermission]

    @extend_schema(responses={200: PDF_RESPONSE})
    def get(self, request, pk: int, delivery_id: int):
        delivery = _delivery(request, pk, delivery_id)
        if delivery.pdf is None:
            raise ValidationError({"pdf": [_("This report is not rendered yet.")]})
        return report_pdf_response(request.tenant, delivery, delivery.pdf)
