"""The one home of an alert rule's validation: the API's serializer, the page's form, the admin of
the client's rules and of the agency's defaults all call ``rule_clean``. Errors are a
``ValidationError`` whose ``message_dict`` maps each field to its messages (HTTP 400 in the API).

Channels: at most ``MAX_CHANNELS`` of ``{"type": "email", "to"}``, ``{"type": "webhook", "url",
"secret"}``, ``{"type": "slack"|"teams", "url"}``. Webhook URLs go through
``config.outbound.webhook_url_checked`` (no private address unless the setting allows it).

Credentials are never shown back in full, to any role, on any read path (API, page, both admins):
``channels_public`` masks a webhook's secret (``…abcd``) and a Slack or Teams URL, which is itself
the credential (``https://hooks.slack.com/…abcd``: scheme, host and the last 4 characters). An update
that sends the masked value back unchanged (or leaves a webhook's secret out) keeps the stored one:
``channels_clean`` matches it against the rule's stored channels.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from config.outbound import webhook_url_checked
from kpis.registry import DIMENSION_LABELS, KPIS
from portfolio.alert_rule_fields import MAX_CHANNELS, AlertKind, StaleSource

# What a rule's writer may set (the API's fields, the services' filter).
RULE_FIELDS = ("kind", "kpi", "dimension", "key", "threshold", "stale_days", "stale_source", "channels", "active")
CHANNEL_TYPES = ("email", "webhook", "slack", "teams")
SECRET_MIN, SECRET_MAX = 16, 200
MAX_THRESHOLD = 200  # percent
MAX_STALE_DAYS = 365
MAX_KEY_LENGTH = 300  # AlertRuleFields.key


def _whole(value) -> bool:
    """An integer, not a bool (``True`` is an ``int`` to Python, not a percentage to anyone)."""
    return isinstance(value, int) and not isinstance(value, bool)


def kpi_keys(*, client_level: bool) -> set[str]:
    """KPIs a rule may name: the registry's, and for a client's own rule its custom KPIs too (an
    agency's default applies to clients whose custom KPIs differ)."""
    if not client_level:
        return set(KPIS)
    from kpis.custom.definitions import kpi_definitions

    return set(kpi_definitions())


URL_IS_SECRET = ("slack", "teams")  # incoming-webhook URLs: whoever has one may post


MASK = "…"


def secret_masked(secret: str) -> str:
    return MASK + secret[-4:] if secret else ""


def url_masked(url: str) -> str:
    """``https://hooks.slack.com/…abcd``: enough to recognise the URL, not to use it."""
    if not isinstance(url, str) or not url:
        return ""
    try:
        parts = urlsplit(url)
        head = f"{parts.scheme}://{parts.hostname}" if parts.scheme and parts.hostname else ""
    except ValueError:
        head = ""
    return f"{head}/{MASK}{url[-4:]}"


def channel_public(channel: dict) -> dict:
    channel = dict(channel)
    if "secret" in channel:
        channel["secret"] = secret_masked(channel["secret"])
    if channel.get("type") in URL_IS_SECRET and "url" in channel:
        channel["url"] = url_masked(channel["url"])
    return channel


def channels_public(channels: list) -> list[dict]:
    """The channels as every read path shows them: secrets and Slack/Teams URLs masked."""
    return [channel_public(channel) for channel in channels or [] if isinstance(channel, dict)]


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
    if (
        kind in URL_IS_SECRET
        and previous
        and previous.get("type") == kind
        and url.strip() == url_masked(previous["url"])
    ):
        return {"type": kind, "url": previous["url"]}  # the masked URL sent back unchanged: kept
    if MASK in url:  # a masked URL matching none stored (another kind, or its rule's URL changed)
        raise ValidationError(_("This URL is shown masked: enter the full URL."))
    url = webhook_url_checked(url)
    if kind != "webhook":
        return {"type": kind, "url": url}
    secret = raw.get("secret")
    kept = bool(previous) and previous.get("type") == "webhook" and previous.get("url") == url
    if (secret in (None, "") or (kept and secret == secret_masked(previous.get("secret", "")))) and kept:
        secret = previous["secret"]
    if not isinstance(secret, str) or not secret:
        raise ValidationError(_("A webhook channel needs a secret to sign its requests."))
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValidationError(
            _("A webhook secret has %(min)d to %(max)d characters.") % {"min": SECRET_MIN, "max": SECRET_MAX}
        )
    return {"type": "webhook", "url": url, "secret": secret}


def _same_channel(raw, previous: list) -> dict | None:
    """The stored channel an update may keep a credential of: the webhook with the same URL (its
    secret), or the Slack/Teams channel whose masked URL was sent back."""
    if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
        return None
    url, kind = raw["url"].strip(), raw.get("type")
    if kind == "webhook":
        return next((p for p in previous if p.get("type") == "webhook" and p.get("url") == url), None)
    if kind in URL_IS_SECRET:
        return next((p for p in previous if p.get("type") == kind and url_masked(p.get("url", "")) == url), None)
    return None


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
            channel = _channel_clean(raw, _same_channel(raw, previous))
        except ValidationError as error:
            raise ValidationError(
                _("Channel %(number)d: %(error)s") % {"number": index + 1, "error": " ".join(error.messages)}
            ) from None
        # The same address or URL twice would send each notice twice: the first one stands.
        if not any(
            c["type"] == channel["type"] and c.get("to", c.get("url")) == channel.get("to", channel.get("url"))
            for c in cleaned
        ):
            cleaned.append(channel)
    return cleaned


def rule_clean(data: dict, *, client_level: bool = True, previous_channels: list | None = None) -> dict:
    """The rule's fields checked and normalised (``kind``, ``kpi``, ``dimension``, ``key``,
    ``threshold``, ``stale_days``, ``stale_source``, ``channels``, ``active``: whichever are given),
    or a ``ValidationError`` with every field's errors."""
    errors: dict[str, list[str]] = {}
    # Text fields as text (the API's serializer ensures it; a form, the admin or a command may not):
    # a list or a dict would otherwise fail the set lookups below with a TypeError (a 500).
    for name in ("kind", "kpi", "dimension", "key", "stale_source"):
        if data.get(name) is not None and not isinstance(data[name], str):
            errors[name] = [_("Enter text.")]
    if errors:
        raise ValidationError(errors)
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
    elif not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:  # the column's length: a 500 otherwise
        errors["key"] = [_("A key has at most %(max)d characters.") % {"max": MAX_KEY_LENGTH}]
    if kind == AlertKind.STALE and (kpi or dimension):
        errors.setdefault("kpi", []).append(_("A stale-data rule watches a source, not a KPI."))
    for field in ("dimension", "key"):
        if field in data:
            cleaned[field] = data.get(field) or ""
    if "threshold" in data and not (_whole(data["threshold"]) and 1 <= data["threshold"] <= MAX_THRESHOLD):
        errors["threshold"] = [_("A threshold is a percentage from 1 to %(max)d.") % {"max": MAX_THRESHOLD}]
    if "stale_days" in data and not (_whole(data["stale_days"]) and 1 <= data["stale_days"] <= MAX_STALE_DAYS):
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


def rule_change_clean(rule, data: dict, *, client_level: bool = True) -> dict:
    """The given fields of a change to ``rule`` (a client's or an agency's) checked as ``rule_clean``
    does, then the rule as it will be: a stale rule stays without a KPI or a dimension."""
    given = {name: value for name, value in data.items() if name in RULE_FIELDS}
    cleaned = rule_clean(given, client_level=client_level, previous_channels=rule.channels)
    kind, kpi, dimension = (cleaned.get(name, getattr(rule, name)) for name in ("kind", "kpi", "dimension"))
    if kind == AlertKind.STALE and (kpi or dimension):
        rule_clean({"kind": kind, "kpi": kpi, "dimension": dimension}, client_level=client_level)
    return cleaned


def rules_count_check(count: int, maximum: int) -> None:
    if count >= maximum:
        raise ValidationError(
            {"kind": [_("At most %(max)d alert rules per account.") % {"max": maximum}]}, code="too_many"
        )
