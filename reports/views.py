"""The reports page of one client account (/c/<slug>/reports/): schedules with their next run and last
deliveries, Preview, Send now, Approve or Reject a draft, and the create/edit form (the API's rule).
Managers and agency people write; sales see the schedules they receive; viewers, whose product is the
dashboard, use the API for theirs. The unsubscribe
page is open without an account: its signed link is the credential."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.enqueue import task_send_on_commit
from config.errors import DomainError
from dashboards.pdf import PdfRenderError
from reports import rules, services
from reports.delivery import report_pdf_response
from reports.forms import ReportScheduleForm
from reports.models import DeliveryStatus, ReportDelivery
from reports.preview import PreviewBusy, preview_pdf
from reports.selectors import delivery_visible, member_choices, schedule_visible, schedules_visible
from reports.tasks import report_deliver_task
from reports.unsubscribe import unsubscribe_read
from tenants.middleware import client_public_endpoint, client_team_only
from tenants.zones import client_zone

LAST_DELIVERIES = 5


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("reports"))


def _can_manage(request: HttpRequest) -> None:
    if not request.client_access.can_manage:
        raise PermissionDenied("Managers and agency people only")


def _schedules(request: HttpRequest):
    return schedules_visible(request.client_access, request.user)


def _form(request: HttpRequest, *args, instance=None) -> ReportScheduleForm:
    """The schedule form with the client's people as recipient checkboxes (only managers see it)."""
    members = member_choices(request.tenant) if request.client_access.can_manage else None
    return ReportScheduleForm(*args, instance=instance, members=members, by_agency=request.client_access.is_agency)


@client_team_only
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    edit = request.GET.get("edit", "")
    editing = None
    if edit.isascii() and edit.isdigit() and request.client_access.can_manage:
        editing = schedule_visible(request.client_access, request.user, int(edit))
    return _page(request, _form(request, instance=editing), editing)


def _page(request: HttpRequest, form: ReportScheduleForm, editing, status: int = 200) -> HttpResponse:
    zone, now = client_zone(request.tenant), timezone.now()
    # A sliced prefetch (a window function in SQL): the newest few of each schedule, one query.
    recent = Prefetch("deliveries", queryset=deliveries_of_all()[:LAST_DELIVERIES], to_attr="recent")
    schedules = list(_schedules(request).prefetch_related(recent))
    rows = [
        {
            "schedule": s,
            "next_run": rules.next_run(s, now=now, zone=zone).astimezone(zone) if s.active else None,
            "deliveries": s.recent,
        }
        for s in schedules
    ]
    context = {
        "rows": rows,
        "form": form,
        "editing": editing,
        "can_manage": request.client_access.can_manage,
        "is_agency": request.client_access.is_agency,
        "awaiting": DeliveryStatus.AWAITING_APPROVAL,
        "zone": zone.key,
    }
    return render(request, "reports/page.html", context, status=status)


def deliveries_of_all():
    """Every schedule's deliveries without their PDF (the page shows the newest few of each)."""
    return ReportDelivery.objects.defer("pdf").order_by("-created_at", "-pk")


@client_team_only
@require_POST
def report_save(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _can_manage(request)
    schedule = schedule_visible(request.client_access, request.user, pk) if pk is not None else None
    form = _form(request, request.POST, instance=schedule)
    if not form.is_valid():
        return _page(request, form, schedule, status=400)
    fields = {name: form.cleaned_data[name] for name in services.FIELDS}
    try:
        if schedule is None:
            services.schedule_create(**fields, created_by=request.user)
        else:
            services.schedule_update(schedule, by_agency=request.client_access.is_agency, **fields)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _page(request, form, schedule, status=400)
    messages.success(request, _("The report schedule is saved."))
    return _back()


@client_team_only
@require_POST
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _can_manage(request)
    services.schedule_delete(schedule_visible(request.client_access, request.user, pk))
    messages.success(request, _("The report schedule is deleted."))
    return _back()


@client_team_only
@require_GET
def report_preview(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = schedule_visible(request.client_access, request.user, pk)
    start, end = services.chosen_period(schedule, None, now=timezone.now())
    try:
        content = preview_pdf(schedule, period_start=start, period_end=end)
    except PreviewBusy:
        messages.error(request, _("Another preview is being rendered; try again in a moment."))
        return _back()
    except PdfRenderError:
        messages.error(request, _("The report could not be rendered; try again in a moment."))
        return _back()
    delivery = ReportDelivery(schedule=schedule, period_start=start, period_end=end)
    return report_pdf_response(request.tenant, delivery, content)


@client_team_only
@require_POST
def report_send(request: HttpRequest, pk: int) -> HttpResponse:
    _can_manage(request)
    schedule = schedule_visible(request.client_access, request.user, pk)
    try:
        delivery = services.delivery_request(schedule, user=request.user, approved=request.client_access.is_agency)
    except DomainError as error:
        messages.error(request, error.message)
        return _back()
    task_send_on_commit(report_deliver_task, args=(delivery.pk,))
    messages.success(request, _("The report is being sent."))
    return _back()


def _delivery(request: HttpRequest, pk: int, delivery_id: int) -> ReportDelivery:
    return delivery_visible(request.client_access, request.user, pk, delivery_id)


@client_team_only
@require_GET
def delivery_pdf(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    delivery = _delivery(request, pk, delivery_id)
    if delivery.pdf is None:
        raise Http404("Not rendered yet")
    return report_pdf_response(request.tenant, delivery, delivery.pdf)


@client_team_only
@require_POST
def delivery_decide(request: HttpRequest, pk: int, delivery_id: int, decision: str) -> HttpResponse:
    if not request.client_access.is_agency:
        raise PermissionDenied("The agency approves reports")
    delivery = _delivery(request, pk, delivery_id)
    try:
        if decision == "approve":
            services.delivery_approve(delivery, user=request.user)
            task_send_on_commit(report_deliver_task, args=(delivery.pk,))
            messages.success(request, _("The report is approved and being sent."))
        else:
            services.delivery_reject(delivery, user=request.user)
            messages.success(request, _("The report is rejected; it will not be sent."))
    except DomainError as error:
        messages.error(request, error.message)
    return _back()


# A mail client's one-click unsubscribe (RFC 8058) posts without a CSRF token: the signed link is the proof.
@csrf_exempt
@client_public_endpoint
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    asked = unsubscribe_read(token)
    if asked is None:
        return render(request, "reports/unsubscribe.html", {"refused": True}, status=400)
    if request.method == "POST":
        done = services.unsubscribe(schedule_id=asked.schedule_id, email=asked.email)
        return render(request, "reports/unsubscribe.html", {"done": done, "email": asked.email, "gone": not done})
    return render(request, "reports/unsubscribe.html", {"email": asked.email, "confirm": True})
