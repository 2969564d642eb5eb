"""One delivery, taken from queued to sent by one worker at a time (docs/reports.md, "Exactly once").

1. **Claim** (``delivery_claim``): under ``SELECT … FOR UPDATE`` in a short transaction, a queued
   delivery — or one whose worker's lease (``claimed_until``) has expired — is marked rendering or
   sending with a new lease and one more attempt. Anyone else finds it claimed (or sent) and leaves it.
   The lease's end is the claim's token: every later write is conditional on it, so a worker that
   outlived its lease (taken over by another) changes nothing.
2. **Render** the PDF (``dashboards.pdf.report_pdf``) unless the delivery already holds it; a draft that
   needs an agency person's approval stops here, ``awaiting_approval``, with its PDF as the preview.
3. **Send** one message per recipient (nobody sees the others), skipping addresses already in
   ``sent_to`` (each is added in its own commit once the server accepted its message, so a retry after a
   crash resends to nobody who got it) and unsubscribed ones; then the delivery is ``sent``, never again.
   The lease is renewed before each message, under the same condition: a worker whose claim was taken
   over sends nothing more.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import pgettext

from accounts.mail import absolute_url, send_mail_to
from dashboards.formatting import Formatter
from dashboards.models import Branding
from dashboards.pdf import PdfRenderError, report_pdf
from reports.headlines import headline_lines
from reports.models import DeliveryStatus, ReportDelivery, ReportSchedule, ReportUnsubscribe
from reports.rules import period_kind
from reports.services import MAX_ATTEMPTS
from reports.unsubscribe import unsubscribe_link
from tenants.access import client_access_for
from tenants.models import User
from tenants.urlconfs import client_url

log = logging.getLogger(__name__)

DEFAULT_COLOR = "#0a7d5a"  # Pouls' own, as the dashboard's
IN_FLIGHT = (DeliveryStatus.RENDERING, DeliveryStatus.SENDING)


def _lease_end():
    return timezone.now() + timedelta(seconds=settings.POULS_REPORT_LEASE_SECONDS)


def delivery_claim(delivery_id: int) -> ReportDelivery | None:
    """The delivery, claimed by this worker; None when there is nothing to do (sent, rejected,
    awaiting approval, failed, or another worker's lease still runs)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.select_for_update(of=("self",))
            .select_related("schedule")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        stalled = delivery.status in IN_FLIGHT and (delivery.claimed_until is None or delivery.claimed_until < now)
        if delivery.status != DeliveryStatus.QUEUED and not stalled:
            return None
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.claimed_until = DeliveryStatus.FAILED, None
            delivery.save(update_fields=["status", "claimed_until"])
            return None
        delivery.status = DeliveryStatus.RENDERING if delivery.pdf is None else DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.claimed_until = _lease_end()
        delivery.save(update_fields=["status", "attempts", "claimed_until"])
    return delivery


def _owned_update(delivery: ReportDelivery, **fields) -> bool:
    """Write ``fields`` only while this worker's claim stands (its lease's end is the token)."""
    changed = ReportDelivery.objects.filter(pk=delivery.pk, claimed_until=delivery.claimed_until).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
    return changed == 1


def _release(delivery: ReportDelivery, error: str) -> None:
    """A failed attempt: queued again for the next tick, or failed for good after MAX_ATTEMPTS."""
    final = delivery.attempts >= MAX_ATTEMPTS
    _owned_update(
        delivery,
        status=DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED,
        error=error[:2000],
        claimed_until=None,
    )


def delivery_run(delivery_id: int) -> ReportDelivery | None:
    """Take the delivery as far as it can go now (in the current client's schema). Returns it as left,
    or None when another worker holds it or nothing was to be done."""
    delivery = delivery_claim(delivery_id)
    if delivery is None:
        return ReportDelivery.objects.filter(pk=delivery_id).first()
    schedule = delivery.schedule
    if delivery.pdf is None:
        try:
            pdf = report_pdf(
                period_start=delivery.period_start,
                period_end=delivery.period_end,
                language=schedule.language,
                sections=list(schedule.sections),
            )
        except (PdfRenderError, ValidationError) as error:
            log.warning("report %s, delivery %s: the PDF could not be rendered: %s", schedule.pk, delivery.pk, error)
            _release(delivery, f"PDF: {error}")
            return delivery
        gated = schedule.requires_approval and delivery.approved_at is None
        status = DeliveryStatus.AWAITING_APPROVAL if gated else DeliveryStatus.SENDING
        claim = delivery.claimed_until
        if not _owned_update(delivery, pdf=pdf, status=status, claimed_until=None if gated else claim):
            return None
        if gated:
            return delivery
    return _send_all(delivery, schedule)


def _internal_addresses(client, addresses: list[str]) -> set[str]:
    """The recipients who are users with access to the client (they get no unsubscribe link)."""
    users = User.objects.filter(email__in=addresses, is_active=True)
    return {user.email for user in users if client_access_for(user, client) is not None}


def _send_all(delivery: ReportDelivery, schedule: ReportSchedule) -> ReportDelivery | None:
    client = connection.tenant
    done = set(delivery.sent_to)
    stopped = set(ReportUnsubscribe.objects.filter(schedule=schedule).values_list("email", flat=True))
    internal = _internal_addresses(client, list(schedule.recipients))
    context = mail_context(client, schedule, delivery)
    attachment = (report_filename(client, delivery), bytes(delivery.pdf), "application/pdf")
    failed: list[str] = []
    for address in schedule.recipients:
        if address in done or (address in stopped and address not in internal):
            continue
        # Renew the claim before each message: a worker that lost it (its lease expired and another
        # worker took the delivery over) stops here instead of sending once more what the other sends;
        # one that keeps making progress keeps its delivery however many recipients it has.
        if not _owned_update(delivery, claimed_until=_lease_end()):
            return None
        headers, link = {}, None
        if address not in internal:
            link = unsubscribe_link(client, schedule_id=schedule.pk, email=address)
            headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        sent = send_mail_to(
            address,
            subject_template="reports/email/subject.txt",
            body_template="reports/email/body.txt",
            html_template="reports/email/body.html",
            context={**context, "unsubscribe_link": link},
            language=schedule.language,
            force_language=True,
            attachments=[attachment],
            headers=headers,
        )
        if not sent:
            failed.append(address)
            continue
        # Its own commit, at once: a crash after this line never resends to this address.
        if not _owned_update(delivery, sent_to=[*delivery.sent_to, address]):
            return None
    if failed:
        _release(delivery, "SMTP: " + ", ".join(failed))
        return delivery
    _owned_update(delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(), claimed_until=None, error="")
    return delivery


def report_filename(client, delivery: ReportDelivery) -> str:
    """The PDF's name in the report's language (``alpha-rapport-2026-11-01-2026-11-30.pdf`` in French)."""
    with translation.override(delivery.schedule.language):
        word = pgettext("file name of a client report", "report")
    return f"{client.slug}-{word}-{delivery.period_start:%Y-%m-%d}-{delivery.period_end:%Y-%m-%d}.pdf"


def report_pdf_response(client, delivery: ReportDelivery, content: bytes) -> HttpResponse:
    """A report's PDF shown in the browser (page and API alike), named as the mail's attachment."""
    response = HttpResponse(bytes(content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{report_filename(client, delivery)}"'
    return response


def mail_context(client, schedule: ReportSchedule, delivery: ReportDelivery) -> dict:
    """What the report's email shows (the same for every recipient but the unsubscribe link)."""
    color = Branding.objects.filter(client=client).values_list("color", flat=True).first() or DEFAULT_COLOR
    kind = period_kind(schedule.frequency)
    formatter = Formatter(language=schedule.language, currency=client.currency)
    return {
        "client_name": client.name,
        "report_name": schedule.name,
        "period": formatter.period(delivery.period_start, kind),
        "color": color,
        "headlines": headline_lines(
            client, frequency=schedule.frequency, period_start=delivery.period_start, language=schedule.language
        ),
        "dashboard_link": absolute_url(client_url(client, "client-home")),
    }
