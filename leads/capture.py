"""The public form-capture endpoint: a client's own web forms post leads to
``/c/<slug>/capture/<form-key>/`` (form-encoded or JSON), directly or through
``static/pouls/pouls-forms.js``.

Anyone may post; the client account must exist and be active (``client_public_endpoint``). In order:
an unknown or inactive form is a 404 whatever the method; a browser Origin the form does not list is
refused (403); each visitor, and the form as a whole, is rate-limited in PostgreSQL (429); a filled
honeypot or an erased email answers like a success and writes nothing; invalid input is a 400 with
field errors; anything else becomes a lead through ``lead_capture`` (a re-submission merges).

The rate counters are their own statement, committed at once, not part of the lead's transaction:
every submission to a form increments the form's one counter row for everyone, and holding that
row's lock for a whole lead transaction would queue all of the form's submissions behind each other
(and a refused lead would take its count back). See ``bench/capture.py`` for what a submission costs.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from campaigns.landing_pages import landing_page_for_url
from campaigns.models import Campaign, LandingPage, Offer
from config.client_address import client_ip
from config.errors import DomainError
from leads.models import CaptureForm, Lead
from leads.ratelimit import capture_rate_hit
from leads.selectors import capture_form_active
from leads.services import LeadInput, email_is_erased, lead_capture, lead_settings
from tenants.middleware import client_public_endpoint

PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
ALLOWED_METHODS = ["POST", "OPTIONS"]
# Fields a public form may set. Never the stage, the owner or a deal value.
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "keyword",
)
# Sent by the snippet: the page holding the form and the visit's first page and referrer.
PAGE_FIELDS = ("page_url", "landing_url", "referrer")
MAX_INT = 2_147_483_647


def _text_field(name: str) -> forms.CharField:
    return forms.CharField(max_length=Lead._meta.get_field(name).max_length, required=False)


class CaptureSubmission(forms.Form):
    """What a public form may send, within the lead's columns: contact and UTM fields, the keys of an
    offer, landing page or campaign, and the snippet's PAGE_FIELDS. Other fields are ignored."""

    email = forms.EmailField(max_length=Lead._meta.get_field("email").max_length)
    first_name = _text_field("first_name")
    last_name = _text_field("last_name")
    company = _text_field("company")
    job_title = _text_field("job_title")
    company_size = forms.IntegerField(min_value=0, max_value=MAX_INT, required=False)
    phone = _text_field("phone")
    utm_source = _text_field("utm_source")
    utm_medium = _text_field("utm_medium")
    utm_campaign = _text_field("utm_campaign")
    utm_term = _text_field("utm_term")
    utm_content = _text_field("utm_content")
    keyword = _text_field("keyword")
    offer = forms.CharField(max_length=100, required=False)
    landing_page = forms.CharField(max_length=100, required=False)
    campaign = forms.CharField(max_length=100, required=False)
    page_url = forms.CharField(max_length=2000, required=False)
    landing_url = forms.CharField(max_length=2000, required=False)
    referrer = forms.CharField(max_length=2000, required=False)


class Refused(Exception):
    """An answer other than success: nothing of the submission is written (only the rate counters)."""

    def __init__(self, status: int, body: dict, **headers: str):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers


# --- CORS ----------------------------------------------------------------------------------------


def _origin_normalise(value: str) -> str:
    parts = urlsplit(value.strip().rstrip("/").lower())
    netloc = parts.netloc
    default_port = {"https": ":443", "http": ":80"}.get(parts.scheme)
    if default_port and netloc.endswith(default_port):
        netloc = netloc.removesuffix(default_port)
    return f"{parts.scheme}://{netloc}" if parts.scheme and netloc else value.strip().lower()


def _origin_is_allowed(request, form: CaptureForm, origin: str) -> bool:
    """Listed in the form's allowed origins, or Pouls itself."""
    origin = _origin_normalise(origin)
    if origin == _origin_normalise(f"{request.scheme}://{request.get_host()}"):
        return True
    return origin in {_origin_normalise(o) for o in form.origins()}


def _cors_origin(request, form: CaptureForm) -> str | None:
    """The Origin to answer to, or None when the request carries none (server-to-server, curl).
    Raises Refused for a browser page the form does not accept."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    if not _origin_is_allowed(request, form, origin):
        raise Refused(403, {"detail": _("This website may not post to this form.")})
    return origin


def _finish(response: HttpResponse, cors_origin: str | None) -> HttpResponse:
    patch_vary_headers(response, ["Origin"])
    response["Cache-Control"] = "no-store"
    if cors_origin:
        response["Access-Control-Allow-Origin"] = cors_origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def _preflight(request, form: CaptureForm) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Allow"] = ", ".join(ALLOWED_METHODS)
    origin = _cors_origin(request, form)
    if origin:
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Requested-With"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return _finish(response, origin)


# --- Reading the submission ----------------------------------------------------------------------


def _is_json_body(request) -> bool:
    return request.content_type == "application/json" or request.content_type.endswith("+json")


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return _is_json_body(request) or "application/json" in accept or "X-Requested-With" in request.headers


def _data(request) -> dict:
    """The submitted fields, from a JSON object or a form-encoded/multipart body: the fields of
    CaptureSubmission as text, any other field (e.g. the honeypot) as sent."""
    try:
        if not _is_json_body(request):
            return {name: request.POST.get(name, "") for name in request.POST}
        body = request.body
    except (SuspiciousOperation, BadRequest, MultiPartParserError) as error:
        raise Refused(400, {"non_field_errors": [_("The submission could not be read.")]}) from error
    try:
        data = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(400, {"non_field_errors": [_("The body is not valid JSON.")]}) from error
    if not isinstance(data, dict):
        raise Refused(400, {"non_field_errors": [_("Send the fields as a JSON object.")]})
    errors = {}
    for name, value in list(data.items()):
        if name not in CaptureSubmission.base_fields or value is None or isinstance(value, str):
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            data[name] = str(value)
        else:
            errors[name] = [_("Enter a single text or number value.")]
    if errors:
        raise Refused(400, errors)
    return data


def _is_filled(value) -> bool:
    return bool(value.strip()) if isinstance(value, str) else value not in (None, False, "", [], {})


def _by_key(model, key: str):
    """A submitted offer/landing page/campaign key; an unknown one is ignored, not an error: a public
    form must not lose a lead over a stale key."""
    return model.objects.filter(key=key).first() if key else None


def _record(clean: dict, form: CaptureForm) -> LeadInput:
    """Explicit keys first, then what the visit says (the landing page its page or first page belongs
    to, by the tracking's rule; its UTM campaign), then the form's own defaults."""
    offer = _by_key(Offer, clean["offer"]) or form.offer
    landing_page = (
        _by_key(LandingPage, clean["landing_page"])
        or landing_page_for_url(clean["page_url"], clean["landing_url"])
        or form.landing_page
    )
    return LeadInput(
        email=clean["email"],
        company_size=clean["company_size"],
        offer=offer,
        landing_page=landing_page,
        campaign=_by_key(Campaign, clean["campaign"]),
        default_campaign=form.campaign,  # unless utm_campaign names one
        extra={name: clean[name] for name in PAGE_FIELDS if clean[name]},
        **{name: clean[name] for name in TEXT_FIELDS},
    )


# --- Answers -------------------------------------------------------------------------------------


def _success(request, form: CaptureForm) -> HttpResponse:
    if _wants_json(request):
        # Always 201: a different answer for a known email would let anyone probe the client's CRM.
        return JsonResponse({"ok": True}, status=201)
    response = HttpResponseRedirect(_redirect_target(request, form))
    response.status_code = 303
    return response


def _redirect_target(request, form: CaptureForm) -> str:
    if form.redirect_url:
        return form.redirect_url
    referer = request.headers.get("Referer", "")
    if urlsplit(referer).scheme in {"http", "https"} and _origin_is_allowed(request, form, referer):
        return referer
    return reverse("capture:thanks", kwargs={"form_key": form.key})


def _active_form(form_key: str) -> CaptureForm:
    form = capture_form_active(form_key)
    if form is None:
        raise Http404("No such form")
    return form


# --- Views ---------------------------------------------------------------------------------------


def _capture(request, form: CaptureForm) -> HttpResponse:
    limit = capture_rate_hit(form_key=form.key, ip=client_ip(request), per_visitor=form.rate_limit_per_minute)
    if not limit.allowed:
        raise Refused(
            429,
            {"detail": _("Too many submissions. Please try again in a minute.")},
            retry_after=str(limit.retry_after),
        )
    data = _data(request)
    if _is_filled(data.get(form.honeypot_field)):
        return _success(request, form)  # a bot: tell it nothing
    submission = CaptureSubmission(data)
    if not submission.is_valid():
        raise Refused(400, {name: list(errors) for name, errors in submission.errors.items()})
    record = _record(submission.cleaned_data, form)
    settings = lead_settings()
    if settings.block_erased_emails and email_is_erased(record.email):
        return _success(request, form)  # erased on request: capture nothing, reveal nothing
    try:
        lead_capture(record=record, form_key=form.key, settings=settings)
    except DomainError as error:
        raise Refused(400, error.as_dict()) from error
    return _success(request, form)


@client_public_endpoint
@csrf_exempt
def capture(request, form_key: str) -> HttpResponse:
    form = _active_form(form_key)
    cors_origin = None
    try:
        if request.method == "OPTIONS":
            return _preflight(request, form)
        cors_origin = _cors_origin(request, form)
        if request.method != "POST":
            return _finish(HttpResponseNotAllowed(ALLOWED_METHODS), cors_origin)
        return _finish(_capture(request, form), cors_origin)
    except Refused as refused:
        response = JsonResponse(refused.body, status=refused.status)
        if "retry_after" in refused.headers:
            response["Retry-After"] = refused.headers["retry_after"]
        return _finish(response, cors_origin)


@client_public_endpoint
@csrf_exempt
def capture_thanks(request, form_key: str) -> HttpResponse:
    """Where a plain HTML form lands when it has no redirect URL and no usable Referer."""
    form = _active_form(form_key)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render(request, "leads/capture_thanks.html", {"form": form})
