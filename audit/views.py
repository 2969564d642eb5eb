"""The audit log page (public schema, /audit/): an agency's owners read their agencies' events, platform
superusers every event, newest first, filtered by client, action and days, a bounded page at a time.
A fixed number of queries whatever the page holds. Anyone else signed in gets a 403."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.filters import AuditEventFilter
from audit.selectors import audit_reader_for

PAGE_SIZE = 50


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    reader = audit_reader_for(request.user)
    if reader is None:
        raise PermissionDenied("Agency owners only")
    filterset = AuditEventFilter(request.GET or None, queryset=reader.events(), clients=reader.clients())
    valid = filterset.is_valid() if filterset.is_bound else True
    # A refused filter shows its error and no events: an ignored filter would show a misleading log.
    events = filterset.qs if valid else reader.events().none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "filtered": any(value for name, value in request.GET.items() if name != "page"),
        "page": page,
        "page_query": _query_without_page(request),
        "show_agency": reader.agency_ids is None or len(reader.agency_ids) > 1,
    }
    return render(request, "audit/audit_log.html", context, status=200 if valid else 400)
