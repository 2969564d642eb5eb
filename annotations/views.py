"""The dashboard's note form and delete button (/c/<slug>/annotations/…). Everyone but viewers
writes (``ClientAccessMiddleware`` already answers a viewer's POST with 403); both go back to the
dashboard with a message. The rule is the API's and the admin's: ``annotation_fields_check``."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from annotations import services
from annotations.models import Annotation
from campaigns.models import Campaign, Channel
from config.errors import DomainError

SCOPE_MODELS = {"channel": Channel, "campaign": Campaign}


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the dashboard state the form was on (its query, re-encoded: never a header of its own)."""
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return HttpResponseRedirect(reverse("client-home") + (f"?{query}" if query else "") + "#annotations")


def _day(raw: str, field: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("Enter a valid date."), field=field) from None


def _scope(raw: str) -> dict:
    """``channel:<id>`` or ``campaign:<id>`` from the form's list; empty: the whole account."""
    if not raw:
        return {}
    dimension, _sep, pk = raw.partition(":")
    model = SCOPE_MODELS.get(dimension)
    found = model.objects.filter(pk=int(pk)).first() if model and pk.isascii() and pk.isdigit() else None
    if found is None:
        raise DomainError(_("Choose a channel or a campaign from the list."), field="scope")
    return {dimension: found}


def _can_write(request: HttpRequest) -> None:
    if not request.client_access.can_write:
        raise PermissionDenied("Viewers read the notes only")


@require_POST
def annotation_add(request: HttpRequest) -> HttpResponse:
    _can_write(request)
    form = request.POST
    try:
        services.annotation_create(
            start=_day(form.get("start", ""), "start"),
            end=_day(form.get("end", ""), "end"),
            text=form.get("text", ""),
            author=request.user,
            **_scope(form.get("scope", "")),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Note added."))
    return _back(request)


@require_POST
def annotation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _can_write(request)
    services.annotation_delete(get_object_or_404(Annotation, pk=pk))
    messages.success(request, _("Note deleted."))
    return _back(request)
