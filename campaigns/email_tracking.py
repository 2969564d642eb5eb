"""Counting email providers' tracking events into the client's email sends.

``email_event_record`` receives one event normalised by django-anymail (``AnymailTrackingEvent``),
already authenticated by ``campaigns.webhooks``. In one transaction:

1. The send is found by the key the message carried: ``metadata["pouls_send"]`` or a tag
   ``pouls:<send-key>``. Events of no known send, without a recipient, or of a type that counts
   nothing (queued, deferred…) are ignored, and so are events dated before 2000 or more than a year
   ahead (``config.dates``): the webhook still answers 200, so providers stop retrying.
2. The event is inserted with ``ON CONFLICT (provider, event_id) DO NOTHING``: a replayed or retried
   event (same id) stops here. Providers without event ids (Brevo, Mailjet) get a SHA-256 of the raw
   event, which their retries repeat byte for byte.
3. The recipient's flag for that send flips with ``UPDATE … WHERE NOT flag``; only a flip adds one to
   the send's counter (``F()``), so counters are unique per recipient, concurrent deliveries included
   (the second UPDATE waits for the first's row lock, then finds the flag set).
4. Mail that was opened, clicked, unsubscribed from or reported was delivered: such an event first
   marks the recipient delivered. Counters keep the send's CHECKs (opens ≤ delivered ≤ sent) even when
   an import left them lower: ``delivered`` and ``sent`` are raised as needed.
5. The first open or click of a recipient who is a lead adds an activity (``email_open`` /
   ``email_click``, ref = send key) to the lead, which scoring may count (``config.events.email_engaged``,
   which the CRM connects: this module does not import it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

from anymail.signals import AnymailTrackingEvent, EventType
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from campaigns.models import EmailEvent, EmailRecipientState, EmailSend
from config.dates import date_refusal
from config.events import email_engaged

logger = logging.getLogger(__name__)

METADATA_KEY = "pouls_send"
TAG_PREFIX = "pouls:"

# Event type → the recipient's flag it sets → the send's counter that flag feeds.
FLAGS = {
    EventType.DELIVERED: "delivered",
    EventType.OPENED: "opened",
    EventType.CLICKED: "clicked",
    EventType.UNSUBSCRIBED: "unsubscribed",
    EventType.BOUNCED: "bounced",
    EventType.COMPLAINED: "complained",
}
COUNTERS = {
    "delivered": "delivered",
    "opened": "unique_opens",
    "clicked": "unique_clicks",
    "unsubscribed": "unsubscribes",
    "bounced": "bounces",
    "complained": "complaints",
}
# Only a delivered message can be opened, clicked, unsubscribed from or reported as spam.
IMPLIES_DELIVERED = frozenset({"opened", "clicked", "unsubscribed", "complained"})


def email_event_record(*, provider: str, event: AnymailTrackingEvent) -> bool:
    """Count one tracking event of ``provider`` into its send. True when it was new and counted
    (stored), False when it was ignored or had been received before."""
    flag = FLAGS.get(event.event_type)
    recipient = (event.recipient or "").strip().lower()
    send_key = event_send_key(event)
    if flag is None or not recipient or not send_key:
        return False
    with transaction.atomic():
        send = EmailSend.objects.filter(key=send_key).first()
        if send is None:
            logger.info("%s %s event for unknown email send %r ignored", provider, event.event_type, send_key)
            return False
        occurred_at = event.timestamp or timezone.now()
        if date_refusal(occurred_at) is not None:
            # The dates every fact keeps (config.dates): such an event is dropped, never stored.
            logger.info("%s %s event dated %s ignored", provider, event.event_type, occurred_at.isoformat())
            return False
        if not _event_insert(
            provider=provider,
            event_id=event_id_of(event),
            send=send,
            recipient=recipient,
            event_type=event.event_type,
            occurred_at=occurred_at,
        ):
            return False  # seen before
        EmailRecipientState.objects.bulk_create(
            [EmailRecipientState(send=send, recipient=recipient)], ignore_conflicts=True
        )
        flipped = []
        if flag in IMPLIES_DELIVERED and _flip(send=send, recipient=recipient, flag="delivered"):
            flipped.append("delivered")
        if _flip(send=send, recipient=recipient, flag=flag):
            flipped.append(flag)
        if flipped:
            _count(send=send, flags=flipped)
        if flag in {"opened", "clicked"} and flag in flipped:
            # The CRM (leads, a layer above) records it on the recipient's lead, in this transaction.
            email_engaged.send(sender=email_event_record, recipient=recipient, flag=flag, ref=send.key, at=occurred_at)
    return True


def event_send_key(event: AnymailTrackingEvent) -> str:
    """The send key the message carried: its ``pouls_send`` metadata, else a ``pouls:<key>`` tag."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    key = metadata.get(METADATA_KEY)
    if key not in (None, ""):
        return str(key).strip()
    for tag in event.tags or []:
        if isinstance(tag, str) and tag.startswith(TAG_PREFIX) and tag[len(TAG_PREFIX) :].strip():
            return tag[len(TAG_PREFIX) :].strip()
    return ""


def event_id_of(event: AnymailTrackingEvent) -> str:
    """The provider's event id, or (Brevo, Mailjet) a stable SHA-256 of the raw event."""
    event_id = str(event.event_id or "").strip()
    if event_id and len(event_id) <= EmailEvent._meta.get_field("event_id").max_length:
        return event_id
    raw = event.esp_event
    if hasattr(raw, "lists"):  # a QueryDict (Mailgun's legacy form posts)
        raw = dict(raw.lists())
    payload = event_id or json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _event_insert(
    *, provider: str, event_id: str, send: EmailSend, recipient: str, event_type: str, occurred_at: datetime
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True when this event was not stored yet."""
    meta = EmailEvent._meta
    quote = connection.ops.quote_name
    columns = ["provider", "event_id", "send_id", "recipient", "event_type", "occurred_at", "received_at"]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 (names from the model)
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('provider')}, {quote('event_id')}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [provider, event_id, send.pk, recipient, event_type, occurred_at, timezone.now()])
        return cursor.fetchone() is not None


def _flip(*, send: EmailSend, recipient: str, flag: str) -> bool:
    """Set the recipient's flag; True only for the one caller that changed it."""
    states = EmailRecipientState.objects.filter(send=send, recipient=recipient, **{flag: False})
    return states.update(**{flag: True}) == 1


def _count(*, send: EmailSend, flags: list[str]) -> None:
    """Add one to each flipped flag's counter, keeping unique_opens ≤ delivered ≤ sent."""
    changes = {COUNTERS[flag]: F(COUNTERS[flag]) + 1 for flag in flags}
    delivered = changes.get("delivered", F("delivered"))
    opens = changes.get("unique_opens", F("unique_opens"))
    # PostgreSQL evaluates every SET expression on the row's old values.
    changes["delivered"] = Greatest(delivered, opens)
    changes["sent"] = Greatest(F("sent"), delivered, opens)
    changes["updated_at"] = timezone.now()
    EmailSend.objects.filter(pk=send.pk).update(**changes)
