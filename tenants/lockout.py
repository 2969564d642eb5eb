"""What a locked login looks like. django-axes counts the failures and decides (settings: ``AXES_*``);
this module names the account it counts, says how long the lock lasts and answers the person.

The answer is the same whether the email has an account or not, so a lockout tells nobody which
emails exist.
"""

from __future__ import annotations

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import ngettext

LOCKED_STATUS = 429


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The email a login attempt names, as logins compare it (trimmed, lower-cased): typing it in
    capitals is the same account, so it must be the same count."""
    raw = (credentials or getattr(request, "data", None) or request.POST).get("username")
    return str(raw).strip().lower() if raw else None


def lockout_retry_after(request: HttpRequest, credentials: dict | None = None) -> int:
    """Seconds until this (email, address) pair may try again: the lock runs from its last counted
    failure (failures during the lock are not counted, see ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``)."""
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    latest = [
        attempts.aggregate(last=Max("attempt_time"))["last"]
        for attempts in handler.get_user_attempts(request, credentials)
    ]
    cool_off = get_cool_off(request)
    last = max((moment for moment in latest if moment is not None), default=timezone.now())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def lockout_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "Too many failed logins for this email from your address. Try again in %(minutes)d minute.",
        "Too many failed logins for this email from your address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _platform_admin_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # a client's URLs: its admin has no login of its own
        return None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page again, with the lock explained in the visitor's
    language, status 429 and ``Retry-After``. The platform admin's login gets the same page, leading
    back to the admin (there is one login for the whole product)."""
    if original_response is not None and original_response.status_code == LOCKED_STATUS:
        return original_response  # the view answered the lockout itself (the token API, in JSON)
    retry_after = lockout_retry_after(request, credentials)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not next_url and request.path == _platform_admin_url("admin:login"):
        next_url = _platform_admin_url("admin:index")
    context = {
        "form": AuthenticationForm(request, initial={"username": lockout_username(request, credentials) or ""}),
        "locked_out": lockout_message(retry_after),
        "next": next_url,
    }
    response = render(request, "registration/login.html", context, status=LOCKED_STATUS)
    response["Retry-After"] = str(retry_after)
    return response
