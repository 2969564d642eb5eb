"""Writes of marketing data."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from campaigns import rules
from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    FactSource,
    KeywordStat,
    LandingPage,
    Offer,
    Spend,
    Traffic,
)
from config.dates import date_check
from config.errors import DomainError


@transaction.atomic
def channel_create(*, key: str, name: str, is_paid: bool) -> Channel:
    """Add a client-specific channel next to the built-in GA4 ones."""
    key = rules.key_normalised(key, max_length=rules.CHANNEL_KEY_MAX_LENGTH)
    if not name.strip():
        raise DomainError(_("A channel needs a name."), field="name")
    try:
        with transaction.atomic():
            return Channel.objects.create(key=key, name=name.strip(), is_paid=is_paid)
    except IntegrityError as exc:
        raise DomainError(_("A channel with key '%(key)s' already exists.") % {"key": key}, field="key") from exc


# --- CRUD of the marketing data (API; the admin validates facts with ``fact_check``) ----------------
#
# Every writer takes the instance to change (None: create) and the fields to set; it merges them with
# the stored values, validates the result as a whole (a PATCH of ``clicks`` is checked against the
# stored ``views``) and raises ``DomainError(field=…)`` for anything the database would refuse. The
# rules the admin and the imports share (keys, dates, URLs, counters, keywords) live in ``campaigns.rules``.


CAMPAIGN_FIELDS = ("key", "name", "channel", "starts_on", "ends_on", "budget", "utm_campaign", "status")
OFFER_FIELDS = ("key", "name", "kind")
LANDING_PAGE_FIELDS = ("key", "name", "url", "offer", "campaign")
CTA_FIELDS = ("key", "name", "landing_page")
EMAIL_SEND_FIELDS = ("key", "name", "sent_at", "campaign", *EmailSend.COUNTERS)

# Daily facts: their fields, the ones without a default, and the identity of a row (one per day and key).
FACT_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Spend: ("date", "campaign", "amount"),
    Traffic: ("date", "channel", "landing_page", "visits"),
    CTAStat: ("date", "cta", "views", "clicks"),
    KeywordStat: ("date", "keyword", "channel", "visits", "impressions"),
}
FACT_REQUIRED: dict[type[models.Model], tuple[str, ...]] = {
    Spend: ("date", "campaign", "amount"),
    Traffic: ("date", "visits"),
    CTAStat: ("date", "cta", "views", "clicks"),
    KeywordStat: ("date", "keyword", "channel", "visits"),
}
FACT_IDENTITY: dict[type[models.Model], tuple[str, ...]] = {
    Spend: ("date", "campaign"),
    Traffic: ("date", "channel", "landing_page"),
    CTAStat: ("date", "cta"),
    KeywordStat: ("date", "keyword", "channel"),
}
COUNT_FIELDS = frozenset({"visits", "views", "clicks", "impressions", *EmailSend.COUNTERS})

# Check constraints a concurrent write could still trip: the field each one is about.
CONSTRAINT_FIELDS = {
    "spend_amount_not_negative": "amount",
    "ctastat_clicks_within_views": "clicks",
    "keywordstat_keyword_normalised": "keyword",
    "emailsend_delivered_within_sent": "delivered",
    "emailsend_opens_within_delivered": "unique_opens",
}


def _current(instance: models.Model, name: str):
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:  # a required foreign key not set yet
        return None


def _merged(model: type[models.Model], instance: models.Model | None, allowed: tuple[str, ...], changes: dict):
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"{model.__name__} has no writable field(s) {sorted(unknown)}")
    base = instance if instance is not None else model()
    return {**{name: _current(base, name) for name in allowed}, **changes}


def _text(value, field: str, *, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise DomainError(_("Use at most %(max)d characters.") % {"max": max_length}, field=field)
    return text


def _count(value, field: str):
    if value is not None and value < 0:
        raise DomainError(_("This number cannot be negative."), field=field)
    return value


def _choice(value, field: str, choices: type[models.TextChoices]) -> str:
    if value not in choices.values:
        raise DomainError(_("“%(value)s” is not one of the choices.") % {"value": value}, field=field)
    return value


def _key_is_free(model: type[models.Model], instance: models.Model | None, key: str) -> None:
    taken = model.objects.filter(key=key)
    if instance is not None and instance.pk:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        raise DomainError(
            _("A %(kind)s with key '%(key)s' already exists.") % {"kind": model._meta.verbose_name, "key": key},
            field="key",
        )


def _written(
    model: type[models.Model],
    instance: models.Model | None,
    values: dict,
    *,
    conflict_field: str,
    conflict_message: str,
):
    """Create, or update only the given fields (webhooks may be counting into other columns meanwhile).
    A unique or check constraint tripped by a concurrent write becomes a DomainError, never a 500."""
    target = instance if instance is not None else model()
    for name, value in values.items():
        setattr(target, name, value)
    try:
        with transaction.atomic():
            if instance is None:
                target.save(force_insert=True)
            else:
                auto = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
                target.save(update_fields=[*values, *auto])
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        if constraint in CONSTRAINT_FIELDS:
            raise DomainError(
                _("This value does not agree with the others."), field=CONSTRAINT_FIELDS[constraint]
            ) from exc
        raise DomainError(conflict_message, field=conflict_field) from exc
    return target


def _catalogue_written(model, instance, values: dict, *, changes: dict):
    """Save a keyed row: only the fields the caller sent (all of them on a create)."""
    fields = values if instance is None else {name: values[name] for name in changes}
    message = _("A %(kind)s with key '%(key)s' already exists.") % {
        "kind": model._meta.verbose_name,
        "key": values["key"],
    }
    return _written(model, instance, fields, conflict_field="key", conflict_message=message)


@transaction.atomic
def channel_update(channel: Channel, /, **changes) -> Channel:
    """Rename a client-specific channel or change its paid flag (``rules.channel_change_check``: the key
    stays, the built-in GA4 channels do not change). A ``key`` equal to the stored one is no change."""
    _merged(Channel, channel, ("key", "name", "is_paid"), changes)  # refuses unknown fields
    rules.channel_change_check(channel, changes)
    changes = {name: value for name, value in changes.items() if name != "key"}
    values = _merged(Channel, channel, ("name", "is_paid"), changes)
    values["name"] = _text(values["name"], "name", max_length=200, required=True)
    return _written(
        Channel,
        channel,
        {name: values[name] for name in changes},
        conflict_field="key",
        conflict_message=_("This channel changed meanwhile; try again."),
    )


@transaction.atomic
def channel_delete(channel: Channel, /) -> None:
    """Delete a client-specific channel that nothing refers to."""
    if channel.is_builtin:
        raise DomainError(_("Built-in channels cannot be deleted."), field="key")
    users = [
        str(relation.related_model._meta.verbose_name_plural)
        for relation in Channel._meta.related_objects
        if relation.related_model._default_manager.filter(**{relation.field.name: channel}).exists()
    ]
    if users:
        raise DomainError(
            _("The channel '%(key)s' is in use (%(users)s): it cannot be deleted.")
            % {"key": channel.key, "users": ", ".join(sorted(users))},
            field="key",
        )
    record_delete(channel)


@transaction.atomic
def campaign_save(campaign: Campaign | None = None, /, **changes) -> Campaign:
    values = _merged(Campaign, campaign, CAMPAIGN_FIELDS, changes)
    values["key"] = rules.key_normalised(values["key"])
    values["name"] = _text(values["name"], "name", max_length=200, required=True)
    values["utm_campaign"] = _text(values["utm_campaign"], "utm_campaign", max_length=200)
    values["budget"] = rules.amount_checked(values["budget"], field="budget")
    values["status"] = _choice(values["status"], "status", Campaign.Status)
    rules.campaign_dates_check(values["starts_on"], values["ends_on"])
    _key_is_free(Campaign, campaign, values["key"])
    return _catalogue_written(Campaign, campaign, values, changes=changes)


@transaction.atomic
def offer_save(offer: Offer | None = None, /, **changes) -> Offer:
    values = _merged(Offer, offer, OFFER_FIELDS, changes)
    values["key"] = rules.key_normalised(values["key"])
    values["name"] = _text(values["name"], "name", max_length=200, required=True)
    values["kind"] = _choice(values["kind"], "kind", Offer.Kind)
    _key_is_free(Offer, offer, values["key"])
    return _catalogue_written(Offer, offer, values, changes=changes)


@transaction.atomic
def landing_page_save(landing_page: LandingPage | None = None, /, **changes) -> LandingPage:
    values = _merged(LandingPage, landing_page, LANDING_PAGE_FIELDS, changes)
    values["key"] = rules.key_normalised(values["key"])
    values["name"] = _text(values["name"], "name", max_length=200, required=True)
    values["url"] = rules.landing_page_url(values["url"])
    _key_is_free(LandingPage, landing_page, values["key"])
    return _catalogue_written(LandingPage, landing_page, values, changes=changes)


@transaction.atomic
def cta_save(cta: CTA | None = None, /, **changes) -> CTA:
    values = _merged(CTA, cta, CTA_FIELDS, changes)
    values["key"] = rules.key_normalised(values["key"])
    values["name"] = _text(values["name"], "name", max_length=200, required=True)
    _key_is_free(CTA, cta, values["key"])
    return _catalogue_written(CTA, cta, values, changes=changes)


def email_send_check(values: dict) -> dict:
    """Validate (and normalise) the counters of one email send, and its date when ``values`` has one."""
    if values.get("sent_at") is not None:
        date_check(values["sent_at"], field="sent_at")
    for name in EmailSend.COUNTERS:
        values[name] = _count(values[name], name)
    rules.email_counters_check(sent=values["sent"], delivered=values["delivered"], unique_opens=values["unique_opens"])
    return values


@transaction.atomic
def email_send_save(email_send: EmailSend | None = None, /, **changes) -> EmailSend:
    """Create or correct an email send. Its counters are the imported ones; provider webhooks keep
    counting into them afterwards (``campaigns.email_tracking``)."""
    values = _merged(EmailSend, email_send, EMAIL_SEND_FIELDS, changes)
    values["key"] = rules.key_normalised(values["key"])
    values["name"] = _text(values["name"], "name", max_length=200) or values["key"]
    if values["sent_at"] is None:
        raise DomainError(_("This field is required."), field="sent_at")
    email_send_check(values)
    _key_is_free(EmailSend, email_send, values["key"])
    return _catalogue_written(EmailSend, email_send, values, changes=changes)


def fact_check(model: type[models.Model], values: dict, *, fact: models.Model | None = None) -> dict:
    """Validate (and normalise) one imported daily fact of ``model`` (``fact``: the row it will be):
    required fields, a date within the bounds (``config.dates``), no negative numbers, no more clicks
    than views, keywords lower-cased and trimmed, one imported row per day and key."""
    for name in FACT_REQUIRED[model]:
        if values.get(name) in (None, ""):
            raise DomainError(_("This field is required."), field=name)
    date_check(values["date"], field="date")
    for name in FACT_FIELDS[model]:
        if name in COUNT_FIELDS:
            values[name] = _count(values.get(name), name)
    if model is Spend:
        values["amount"] = rules.amount_checked(values["amount"], field="amount")
    if model is CTAStat:
        rules.clicks_within_views(views=values["views"], clicks=values["clicks"])
    if model is KeywordStat:
        values["keyword"] = rules.keyword_normalised(values["keyword"])
    identity = {name: values[name] for name in FACT_IDENTITY[model]}
    duplicates = model.objects.filter(**identity)
    if any(f.name == "source" for f in model._meta.fields):
        duplicates = duplicates.filter(source=FactSource.IMPORT)
    if fact is not None and fact.pk:
        duplicates = duplicates.exclude(pk=fact.pk)
    if duplicates.exists():
        raise DomainError(_fact_conflict(identity), field="date")
    return values


def _fact_conflict(identity: dict) -> str:
    named = ", ".join(str(getattr(value, "key", value)) for value in identity.values() if value is not None)
    return _("There is already a row for this day and key (%(identity)s).") % {"identity": named}


@transaction.atomic
def fact_save(
    model: type[models.Model], fact: models.Model | None = None, /, *, source: str = FactSource.IMPORT, **changes
):
    """Create or correct one daily fact (Spend, Traffic, CTAStat, KeywordStat) as an imported row.
    Rows counted by the tracking snippet (source ``tracking``) are never written here."""
    if model not in FACT_FIELDS:
        raise TypeError(f"{model.__name__} is not a daily fact")
    if source != FactSource.IMPORT:
        raise DomainError(
            _("Only imported rows can be written; tracked rows come from the tracking snippet."), field="source"
        )
    _writable(fact)
    values = fact_check(model, _merged(model, fact, FACT_FIELDS[model], changes), fact=fact)
    fields = values if fact is None else {name: values[name] for name in changes}
    if fact is None and any(f.name == "source" for f in model._meta.fields):
        fields["source"] = FactSource.IMPORT
    conflict = _fact_conflict({name: values[name] for name in FACT_IDENTITY[model]})
    return _written(model, fact, fields, conflict_field="date", conflict_message=conflict)


def _writable(record: models.Model | None) -> None:
    if record is not None and getattr(record, "source", FactSource.IMPORT) != FactSource.IMPORT:
        raise DomainError(_("This row was counted by the tracking snippet: it is read-only."), field="source")


@transaction.atomic
def record_delete(record: models.Model, /) -> None:
    """Delete a campaign, offer, landing page, CTA, email send or imported fact.

    What refers to it follows the model: leads (and landing pages, CTAs, email sends) keep existing
    with the reference emptied; a campaign's spend, a landing page's traffic and a CTA's statistics
    are deleted with it. Tracked facts cannot be deleted; a row something protects is a DomainError.
    """
    _writable(record)
    try:
        with transaction.atomic():
            record.delete()
    except (ProtectedError, RestrictedError) as exc:
        blocking = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        users = sorted({str(obj._meta.verbose_name_plural) for obj in blocking})
        raise DomainError(
            _("“%(record)s” is in use (%(users)s): it cannot be deleted.")
            % {"record": record, "users": ", ".join(users)},
            field="key" if hasattr(record, "key") else None,
        ) from exc
