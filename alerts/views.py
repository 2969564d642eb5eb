"""The alerts page of one client account (/c/<slug>/alerts/): open alerts with their numbers, past
ones, the rules in force (the client's and its agency's defaults) and, for managers and agency
people, a form to add a rule and buttons to remove one; agency people may make it a default of all
their agency's clients. The rule is the API's: ``alerts.rules``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from alerts import services
from alerts.models import Alert, AlertRule, AlertState
from alerts.notices import notice_for
from alerts.rules import channels_public
from alerts.selectors import open_alert_total
from kpis.custom.definitions import kpi_choices
from kpis.registry import DIMENSION_LABELS
from portfolio.alert_rule_fields import AlertKind, StaleSource
from portfolio.models import AgencyAlertRule

PAST_SHOWN = 50
OPEN_SHOWN = 200
FORM_FIELDS = (
    "kind",
    "kpi",
    "dimension",
    "key",
    "threshold",
    "stale_days",
    "stale_source",
    "emails",
    "webhook_url",
    "webhook_secret",
    "slack_url",
    "teams_url",
)


def _number(raw: str, default: int) -> int | str:
    raw = raw.strip()
    if not raw:
        return default
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else raw


def rule_data_from_form(form: dict) -> dict:
    """The page's fields as the rule's data: one channel per email address (one per line) and per URL."""
    channels: list[dict] = [
        {"type": "email", "to": line.strip()} for line in form["emails"].splitlines() if line.strip()
    ]
    if form["webhook_url"]:
        channels.append({"type": "webhook", "url": form["webhook_url"], "secret": form["webhook_secret"]})
    for kind in ("slack", "teams"):
        if form[f"{kind}_url"]:
            channels.append({"type": kind, "url": form[f"{kind}_url"]})
    return {
        "kind": form["kind"],
        "kpi": form["kpi"],
        "dimension": form["dimension"],
        "key": form["key"],
        "threshold": _number(form["threshold"], 90),
        "stale_days": _number(form["stale_days"], 3),
        "stale_source": form["stale_source"] or StaleSource.ANY,
        "channels": channels,
    }


def _is_id(raw: str | None) -> bool:
    return bool(raw) and raw.isascii() and raw.isdigit() and len(raw) < 19


def alerts_page(request: HttpRequest) -> HttpResponse:
    can_manage = request.client_access.can_manage
    is_agency = request.client_access.is_agency
    agency_id = getattr(request.tenant, "agency_id", None)
    form = dict.fromkeys(FORM_FIELDS, "")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Managers and agency people only")
        if request.POST.get("action") in ("delete", "delete-default"):
            if not _is_id(request.POST.get("rule")):
                raise Http404("No such rule")
            if request.POST["action"] == "delete":
                services.rule_delete(get_object_or_404(AlertRule, pk=request.POST["rule"]))
            else:  # an agency default: its agency's people only
                if not (is_agency and agency_id):
                    raise PermissionDenied("Agency people only")
                get_object_or_404(AgencyAlertRule, pk=request.POST["rule"], agency_id=agency_id).delete()
            messages.success(request, _("The alert rule is removed."))
            return HttpResponseRedirect(reverse("alerts-page"))
        form = {key: request.POST.get(key, "").strip() for key in FORM_FIELDS}
        try:
            data = rule_data_from_form(form)
            if request.POST.get("for_agency") and is_agency and agency_id:
                services.agency_rule_create(data, agency=request.tenant.agency)
            else:
                services.rule_create(data, created_by=request.user)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("The alert rule is saved."))
            return HttpResponseRedirect(reverse("alerts-page"))
    language = translation.get_language() or "en"
    # Bounded: a rule on a dimension without a key can hold an open alert per key (the API pages the rest).
    open_alerts = list(Alert.objects.filter(state=AlertState.OPEN)[: OPEN_SHOWN + 1])
    open_total = len(open_alerts) if len(open_alerts) <= OPEN_SHOWN else open_alert_total()
    alerts = open_alerts[:OPEN_SHOWN] + list(Alert.objects.filter(state=AlertState.RESOLVED)[:PAST_SHOWN])
    rows = [{"alert": a, "notice": notice_for(a, "fired", language)} for a in alerts]
    context = {
        "open_rows": [r for r in rows if r["alert"].state == AlertState.OPEN],
        "past_rows": [r for r in rows if r["alert"].state != AlertState.OPEN],
        "open_total": open_total,
        "open_more": open_total - min(open_total, OPEN_SHOWN),
        "rules": [(r, channels_public(r.channels)) for r in AlertRule.objects.order_by("id")],
        "defaults": [
            (r, channels_public(r.channels))
            for r in (AgencyAlertRule.objects.filter(agency_id=agency_id, active=True) if agency_id else [])
        ],
        "can_manage": can_manage,
        "can_set_defaults": bool(is_agency and agency_id),
        "form": form,
        "errors": errors,
        "kinds": AlertKind.choices,
        "sources": StaleSource.choices,
        "kpis": kpi_choices(),
        "dimensions": list(DIMENSION_LABELS.items()),
    }
    return render(request, "alerts/page.html", context, status=400 if errors else 200)
