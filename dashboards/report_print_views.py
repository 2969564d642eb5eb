"""A client report's print view in the browser (/c/<slug>/report-print/?start=…&end=…&lang=…&sections=…),
for team members to see what the PDF holds: the very page chromium prints (``dashboards.report_print``).
``ClientAccessMiddleware`` has checked access as for the dashboard (404 outside the client)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from dashboards.report_print import report_page, report_query_checked
from dashboards.state import FIELD_LABELS

QUERY_LABELS = {
    "start": FIELD_LABELS["from"],
    "end": FIELD_LABELS["to"],
    "lang": _("Report language"),
    "sections": _("Report sections"),
}


@require_GET
def report_print(request: HttpRequest) -> HttpResponse:
    try:
        arguments = report_query_checked(request.GET)
    except ValidationError as error:
        errors = [(str(QUERY_LABELS.get(name, name)), texts) for name, texts in error.message_dict.items()]
        return render(request, "dashboards/bad_state.html", {"errors": errors}, status=400)
    page = report_page(**arguments)
    response = HttpResponse(page.html, content_type="text/html; charset=utf-8")
    # Its own policy: the page's inline scripts and style (inline so it prints from a file) by their hashes.
    response["Content-Security-Policy"] = page.policy
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
