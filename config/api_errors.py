"""Every API error is JSON with field messages and a 4xx code; an unexpected failure under an API
path is JSON too (``server_error``, Django's handler500). Pages get Pouls' own templates
(templates/400.html, 403.html, 404.html, 500.html) through Django's default views."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.errors import DomainError


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        code = status.HTTP_404_NOT_FOUND if exc.code == "not_found" else status.HTTP_400_BAD_REQUEST
        return Response(exc.as_dict(), status=code)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


_API_PATH = re.compile(r"^/(?:c/[^/]+/)?api/")


def server_error(request):
    """handler500 of both URLconfs: JSON under /api/ and /c/<slug>/api/ (scripts parse it), the
    usual HTML page elsewhere."""
    if _API_PATH.match(request.path):
        return JsonResponse({"detail": _("A server error occurred.")}, status=500)
    return defaults.server_error(request)


def not_found(request, exception):
    """handler404 of both URLconfs: JSON under the API (a path no view answers, a key or id the URL
    cannot hold), the usual HTML page elsewhere."""
    if _API_PATH.match(request.path):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """handler400 of both URLconfs (a request Django refuses before any view, such as a form with more
    fields than DATA_UPLOAD_MAX_NUMBER_FIELDS): JSON under the API, the usual page elsewhere."""
    if _API_PATH.match(request.path):
        return JsonResponse({"detail": _("Malformed request.")}, status=400)
    return defaults.bad_request(request, exception)
