"""Sending an alert's notices: one ``AlertDelivery`` per (alert, channel, event), one Celery task
``alerts.deliver`` per delivery, retried with exponential backoff up to ``MAX_ATTEMPTS``.

- email: ``accounts.mail.send_mail_to`` (HTML and text, in the recipient's language);
- slack: ``{"text", "blocks"}`` (Slack's incoming webhooks; Mattermost and others read ``text``);
- teams: a MessageCard (Teams' incoming webhooks and Power Automate's "post a message" flows);
- webhook: the alert as JSON, signed ``X-Pouls-Signature: sha256=<hex HMAC-SHA256 of the raw body
  with the channel's secret>``, with ``X-Pouls-Event`` (alert.fired / alert.recovered) and
  ``X-Pouls-Delivery`` (stable across retries: receivers drop the duplicates).

Every attempt appends its outcome to the delivery's log. Outgoing requests go through
``config.outbound.post_json``, which checks the address again at send time.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.mail import recipient_language, send_mail_to
from alerts.models import AlertDelivery, DeliveryStatus
from alerts.notices import client_language, notice_for
from alerts.rules import channel_public
from config.outbound import post_json

MAX_ATTEMPTS = 5
SIGNATURE_HEADER = "X-Pouls-Signature"


# A retry's own task may run a moment before its due time (clocks of two workers); a duplicate that
# comes within the grace waits for the row lock, then finds the attempt made and the next one due later.
EARLY_GRACE = timedelta(seconds=5)
MAX_BACKOFF_SECONDS = 3600.0  # below the broker's visibility timeout: a countdown past it is sent twice


def backoff_seconds(attempts: int) -> float:
    """The wait after ``attempts`` failed attempts: ``POULS_ALERT_RETRY_BASE`` × 2^(attempts-1), at
    most ``MAX_BACKOFF_SECONDS`` (a large base or attempts count would otherwise overflow or wait days)."""
    exponent = min(max(0, attempts - 1), 30)
    return min(float(settings.POULS_ALERT_RETRY_BASE) * 2**exponent, MAX_BACKOFF_SECONDS)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_key(delivery: AlertDelivery) -> str:
    return f"{connection.schema_name}-{delivery.pk}"


def _event_name(delivery: AlertDelivery) -> str:
    return f"alert.{delivery.event}"


def _json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def webhook_body(delivery: AlertDelivery, notice) -> bytes:
    alert = delivery.alert
    return _json(
        {
            "event": _event_name(delivery),
            "delivery": delivery_key(delivery),
            "client": {"slug": connection.tenant.slug, "name": notice.client},
            "alert": {
                "id": alert.pk,
                "kind": alert.kind,
                "subject": alert.subject,
                "kpi": alert.kpi or None,
                "dimension": alert.dimension or None,
                "key": alert.key or None,
                "period": alert.period,
                "state": alert.state,
                "opened_at": alert.opened_at.isoformat(),
                "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
                "details": alert.details,
            },
            "title": notice.title,
            "text": "\n".join(notice.lines),
            "url": notice.link,
        }
    )


def _slack_escaped(text: str) -> str:
    """Slack's escaping of mrkdwn text: a note's or a client's ``<!channel>`` or ``<https://x|y>``
    would otherwise ping everyone or show a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(notice) -> bytes:
    title, text = _slack_escaped(notice.title), _slack_escaped("\n".join(notice.lines))
    client = _slack_escaped(notice.client).replace("|", "¦")
    return _json(
        {
            "text": f"{title}\n{text}\n{notice.link}",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": notice.title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": text or title}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{notice.link}|{client}>"}]},
            ],
        }
    )


def teams_body(notice, recovered: bool) -> bytes:
    # A MessageCard's text is Markdown with some HTML: escaped, a note's markup stays text.
    return _json(
        {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": notice.title,
            "themeColor": "2E7D32" if recovered else "C62828",
            "title": html.escape(notice.title),
            "text": "<br>".join(html.escape(line) for line in notice.lines),
            "potentialAction": [
                {"@type": "OpenUri", "name": notice.client, "targets": [{"os": "default", "uri": notice.link}]}
            ],
        }
    )


def _send(delivery: AlertDelivery) -> tuple[bool, int | None, str]:
    """One attempt: ``(ok, status code, error)``."""
    channel, recovered = delivery.channel, delivery.event == "recovered"
    kind = channel.get("type")
    if kind == "email":
        language = recipient_language(channel["to"], client_language())
        notice = notice_for(delivery.alert, delivery.event, language)
        sent = send_mail_to(
            channel["to"],
            subject_template="alerts/mail/alert_subject.txt",
            body_template="alerts/mail/alert_body.txt",
            html_template="alerts/mail/alert_body.html",
            context={"notice": notice, "recovered": recovered},
            language=language,
        )
        return sent, None, "" if sent else "the mail server did not accept the message"
    notice = notice_for(delivery.alert, delivery.event, client_language())
    headers = {
        "User-Agent": "Pouls-Alerts/1",
        "X-Pouls-Event": _event_name(delivery),
        "X-Pouls-Delivery": delivery_key(delivery),
    }
    if kind == "webhook":
        body = webhook_body(delivery, notice)
        headers[SIGNATURE_HEADER] = signature(channel["secret"], body)
    elif kind == "slack":
        body = slack_body(notice)
    elif kind == "teams":
        body = teams_body(notice, recovered)
    else:
        return False, None, f"unknown channel type {kind!r}"
    result = post_json(channel["url"], body, headers)
    return result.ok, result.status, result.error


def error_scrubbed(error: str, channel: dict) -> str:
    """``error`` without the channel's credentials: the delivery log is read by the client's members
    (API) and managers (admin), and an exception's text may quote the URL it failed on."""
    shown = channel_public(channel)
    for name in ("secret", "url"):
        secret = channel.get(name)
        if isinstance(secret, str) and secret and secret != shown.get(name):
            error = error.replace(secret, shown[name])
            path = urlsplit(secret).path if name == "url" else ""
            if len(path) > 8:  # the request went to the checked address: the path alone carries the token
                error = error.replace(path, "/…")
    return error


def delivery_attempt(delivery_id: int) -> str:
    """Make one attempt of a pending delivery (its row locked, so two workers never both send it).
    Returns "sent", "retry" (try again after ``backoff_seconds(attempts)``), "failed" (attempts
    spent), "done" (nothing to do: sent already, or gone) or "early": its next attempt is not due
    yet, so this is a second task for it (the sweep's, or a broker's redelivery) while the first
    waits out its backoff; the first one makes that attempt, so a duplicate never sends early."""
    with transaction.atomic():
        delivery = (
            AlertDelivery.objects.select_for_update(of=("self",)).select_related("alert").filter(pk=delivery_id).first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return "done"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at - EARLY_GRACE > timezone.now():
            return "early"
        try:
            ok, code, error = _send(delivery)
        except Exception as exc:  # a template or payload bug: logged in the delivery, retried
            ok, code, error = False, None, f"{type(exc).__name__}: {exc}"
        error = error_scrubbed(error, delivery.channel)
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = code, error[:500]
        delivery.log = [*delivery.log, {"at": now.isoformat(), "status_code": code, "error": error[:200]}]
        if ok:
            delivery.status, delivery.sent_at, delivery.next_attempt_at = DeliveryStatus.SENT, now, None
            outcome = "sent"
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            outcome = "failed"
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
            outcome = "retry"
        delivery.save()
    return outcome


def deliveries_send_on_commit(ids: list[int]) -> None:
    """Queue one ``alerts.deliver`` task per delivery once the evaluation commits."""
    from alerts.tasks import alert_deliver_task
    from config.enqueue import task_send_on_commit

    for pk in ids:
        task_send_on_commit(alert_deliver_task, args=(pk,))


OVERDUE_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 200


def deliveries_overdue(now=None) -> list[int]:
    """Pending deliveries of the current client whose task should have run by now: never attempted for
    ``OVERDUE_AFTER``, or past their next attempt by as long (oldest first, at most ``SWEEP_BATCH``)."""
    now = now or timezone.now()
    late = now - OVERDUE_AFTER
    rows = AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True, created_at__lt=late) | Q(next_attempt_at__lt=late)
    )
    return list(rows.order_by("id").values_list("pk", flat=True)[:SWEEP_BATCH])
