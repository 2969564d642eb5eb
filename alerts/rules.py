"""The one home of an alert rule's validation: the API's serializer, the page's form, the admin of
the client's rules and of the agency's defaults all call ``rule_clean``. Errors are a
``ValidationError`` whose ``message_dict`` maps each field to its messages (HTTP 400 in the API).

Channels: at most ``MAX_CHANNELS`` of ``{"type": "email", "to"}``, ``{"type": "webhook", "url",
"secret"}``, ``{"type": "slack"|"teams", "url"}``. Webhook URLs go through
``config.outbound.webhook_url_checked`` (no private address unless the setting allows it). A
webhook's secret is never shown back in full (``channels_public``); an update that leaves it out
keeps the secret of the stored webhook channel with the same URL.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from config.outbound import webhook_url_checked
from kpis.registry import DIMENSION_LABELS, KPIS
from portfolio.alert_rule_fields import MAX_CHANNELS, AlertKind, StaleSource

CHANNEL_TYPES = ("email", "webhook", "slack", "teams")
SECRET_MIN, SECRET_MAX = 16, 200
MAX_THRESHOLD = 200  # percent
MAX_STALE_DAYS = 365


def kpi_keys(*, client_level: bool) -> set[str]:
    """KPIs a rule may name: the registry's, and for a client's own rule its custom KPIs too (an
    agency's default applies to clients whose custom KPIs differ)."""
    if not client_level:
        return set(KPIS)
    from kpis.custom.definitions import kpi_definitions

    return set(kpi_definitions())


def secret_masked(secret: str) -> str:
    return "…" + secret[-4:] if secret else ""


def channels_public(channels: list) -> list[dict]:
    """The channels as the API and pages show them: secrets masked."""
    shown = []
    for channel in channels or []:
        channel = dict(channel)
        if "secret" in channel:
            channel["secret"] = secret_masked(channel["secret"])
        shown.append(channel)
    return shown


def _channel_clean(raw, previous: dict | None) -> dict:
    if not isinstance(raw, dict):
        raise ValidationError(_("Each channel is an object with a type."))
    kind = raw.get("type")
    if kind not in CHANNEL_TYPES:
        raise ValidationError(_("Unknown channel type: choose email, webhook, slack or teams."))
    if kind == "email":
        to = raw.get("to")
        if not isinstance(to, str) or not to.strip():
            raise ValidationError(_("An email channel needs an address (to)."))
        validate_email(to.strip())
        return {"type": "email", "to": to.strip().lower()}
    url = raw.get("url")
    if not isinstance(url, str):
        raise ValidationError(_("A %(type)s channel needs a URL.") % {"type": kind})
    url = webhook_url_checked(url)
    if kind != "webhook":
        return {"type": kind, "url": url}
    secret = raw.get("secret")
    kept = previous and previous.get("type") == "webhook" and previous.get("url") == url
    if (secret in (None, "") or (kept and secret == secret_masked(previous.get("secret", "")))) and kept:
        secret = previous["secret"]
    if not isinstance(secret, str) or not secret:
        raise ValidationError(_("A webhook channel needs a secret to sign its requests."))
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValidationError(
            _("A webhook secret has %(min)d to %(max)d characters.") % {"min": SECRET_MIN, "max": SECRET_MAX}
        )
    return {"type": "webhook", "url": url, "secret": secret}


def _same_webhook(raw, previous: list) -> dict | None:
    """The stored webhook channel with the same URL, whose secret an update may keep."""
    if not isinstance(raw, dict) or raw.get("type") != "webhook":
        return None
    url = raw.get("url").strip() if isinstance(raw.get("url"), str) else None
    return next((p for p in previous if p.get("type") == "webhook" and p.get("url") == url), None)


def channels_clean(channels, previous: list | None = None) -> list[dict]:
    """The channels checked and normalised; a ``ValidationError`` naming the channel otherwise."""
    if not isinstance(channels, list):
        raise ValidationError(_("Channels are a list."))
    if not channels:
        raise ValidationError(_("Add at least one channel."))
    if len(channels) > MAX_CHANNELS:
        raise ValidationError(_("At most %(max)d channels per rule.") % {"max": MAX_CHANNELS})
    previous = previous or []
    cleaned = []
    for index, raw in enumerate(channels):
        try:
            cleaned.append(_channel_clean(raw, _same_webhook(raw, previous)))
        except ValidationError as error:
            raise ValidationError(
                _("Channel %(number)d: %(error)s") % {"number": index + 1, "error": " ".join(error.messages)}
            ) from None
    return cleaned


def rule_clean(data: dict, *, client_level: bool = True, previous_channels: list | None = None) -> dict:
    """The rule's fields checked and normalised (``kind``, ``kpi``, ``dimension``, ``key``,
    ``threshold``, ``stale_days``, ``stale_source``, ``channels``, ``active``: whichever are given),
    or a ``ValidationError`` with every field's errors."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    kind = data.get("kind")
    if "kind" in data and kind not in AlertKind.values:
        errors["kind"] = [_("Unknown kind: choose status_red, anomaly, pacing or stale.")]
    kpi = data.get("kpi") or ""
    if kpi and kpi not in kpi_keys(client_level=client_level):
        errors["kpi"] = [_("Unknown KPI: %(kpi)s.") % {"kpi": str(kpi)[:40]}]
    if "kpi" in data:
        cleaned["kpi"] = kpi
    dimension, key = data.get("dimension") or "", data.get("key") or ""
    if dimension and dimension not in DIMENSION_LABELS:
        errors["dimension"] = [_("Unknown dimension: %(dimension)s.") % {"dimension": str(dimension)[:16]}]
    if key and not dimension:
        errors["key"] = [_("A key needs a dimension.")]
    if kind == AlertKind.STALE and (kpi or dimension):
        errors.setdefault("kpi", []).append(_("A stale-data rule watches a source, not a KPI."))
    for field in ("dimension", "key"):
        if field in data:
            cleaned[field] = data.get(field) or ""
    if "threshold" in data and not (isinstance(data["threshold"], int) and 1 <= data["threshold"] <= MAX_THRESHOLD):
        errors["threshold"] = [_("A threshold is a percentage from 1 to %(max)d.") % {"max": MAX_THRESHOLD}]
    if "stale_days" in data and not (isinstance(data["stale_days"], int) and 1 <= data["stale_days"] <= MAX_STALE_DAYS):
        errors["stale_days"] = [_("Days without data: from 1 to %(max)d.") % {"max": MAX_STALE_DAYS}]
    if "stale_source" in data:
        cleaned["stale_source"] = data["stale_source"] or StaleSource.ANY
        if cleaned["stale_source"] not in StaleSource.values:
            errors["stale_source"] = [_("Unknown source for a stale-data rule.")]
    if "channels" in data:
        try:
            cleaned["channels"] = channels_clean(data["channels"], previous_channels)
        except ValidationError as error:
            errors["channels"] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def rules_count_check(count: int, maximum: int) -> None:
    if count >= maximum:
        raise ValidationError(
            {"kind": [_("At most %(max)d alert rules per account.") % {"max": maximum}]}, code="too_many"
        )
