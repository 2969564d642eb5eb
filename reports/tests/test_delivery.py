"""One delivery from the calendar to the inboxes, in this process (the PDF really printed by chromium,
mails in Django's test outbox): created once per period, a draft waits for approval with its preview,
one message per recipient with the PDF, external recipients' signed unsubscribe link, and a claimed or
sent delivery is never sent twice."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import timezone

from reports.delivery import _send_all, delivery_claim, delivery_run
from reports.models import DeliveryStatus, ReportDelivery, ReportUnsubscribe
from reports.services import deliveries_due, delivery_approve
from reports.tests.helpers import headline_snapshots, schedule
from reports.unsubscribe import unsubscribe_token
from tenants.models import Agency, Client

# Monday 7 December 2026, 09:00 in Paris: the weekly schedules of Monday 08:00 cover 30 Nov - 6 Dec.
NOW = datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("Europe/Paris"))
WEEK = (date(2026, 11, 30), date(2026, 12, 6))


def test_a_gated_report_waits_with_its_preview_then_goes_once_to_each_recipient(world, in_alpha):
    headline_snapshots(period="week", start=WEEK[0])
    gated = schedule(requires_approval=True)
    # two ticks (or two beats) create one delivery
    first, second = deliveries_due(world.alpha, now=NOW), deliveries_due(world.alpha, now=NOW)
    delivery = ReportDelivery.objects.get(schedule=gated)
    assert first == second == [delivery.pk]
    assert (delivery.period_start, delivery.period_end, delivery.trigger) == (*WEEK, "scheduled")
    # the worker renders the draft and stops: nothing is sent before approval
    drafted = delivery_run(delivery.pk)
    assert drafted.status == DeliveryStatus.AWAITING_APPROVAL
    assert bytes(ReportDelivery.objects.get(pk=delivery.pk).pdf).startswith(b"%PDF")
    assert mail.outbox == []
    assert delivery_run(delivery.pk).status == DeliveryStatus.AWAITING_APPROVAL and mail.outbox == []
    # approved by the agency, it is sent: one message per recipient, nobody sees the other
    delivery_approve(delivery, user=world.staff)
    sent = delivery_run(delivery.pk)
    assert sent.status == DeliveryStatus.SENT and sent.sent_to == ["manager@alpha.test", "boss@client.test"]
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@client.test", "manager@alpha.test"]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    to_member, to_client = sorted(mail.outbox, key=lambda m: m.to[0] != "manager@alpha.test")
    name, content, mimetype = to_client.attachments[0]
    assert (name, mimetype) == ("alpha-rapport-2026-11-30-2026-12-06.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    # the email: the client, the period, the headline KPIs in French with status and change
    assert "Alpha SAS" in to_client.subject and to_client.extra_headers["Content-Language"] == "fr"
    html = to_client.alternatives[0][0]
    for text in ("Alpha SAS", "1\u202f234", "+23,4\u00a0%", "Objectif atteint", "/c/alpha/"):
        assert text in html or text in to_client.body, text
    # French typography in the plain text too: a space before the colon of each headline
    assert " : 1\u202f234" in to_client.body
    # the change column is the variation, not the verb of the people page's button ("Modifier")
    assert "Modifier" not in html
    # only the external recipient gets the unsubscribe link and headers
    assert "List-Unsubscribe" not in to_member.extra_headers and "/reports/unsubscribe/" not in to_member.body
    assert to_client.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/c/alpha/reports/unsubscribe/" in to_client.extra_headers["List-Unsubscribe"]
    # a sent delivery is never sent again, by a late task or the next tick
    assert delivery_run(delivery.pk).status == DeliveryStatus.SENT
    assert deliveries_due(world.alpha, now=NOW + timedelta(minutes=5)) == []
    assert len(mail.outbox) == 2


def test_a_claimed_delivery_is_left_alone_until_its_lease_expires(world, in_alpha):
    weekly = schedule(created_at=timezone.now())  # nothing of its own due yet
    delivery = ReportDelivery.objects.create(
        schedule=weekly,
        period_start=WEEK[0],
        period_end=WEEK[1],
        status=DeliveryStatus.SENDING,
        claimed_until=timezone.now() + timedelta(minutes=5),
        pdf=b"%PDF-1.4 rendered",
        sent_to=["manager@alpha.test"],
        attempts=1,
    )
    assert delivery_claim(delivery.pk) is None
    assert deliveries_due(world.alpha, now=timezone.now()) == []
    # its worker died: past the lease, the sweep and the next worker take it up
    ReportDelivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert deliveries_due(world.alpha, now=timezone.now()) == [delivery.pk]
    finished = delivery_run(delivery.pk)
    # the address already served is not sent to again
    assert finished.status == DeliveryStatus.SENT and [m.to for m in mail.outbox] == [["boss@client.test"]]
    assert finished.attempts == 2
    assert mail.outbox[0].attachments[0][1] == b"%PDF-1.4 rendered"


def test_an_unsubscribed_external_address_is_skipped(world, in_alpha, http_as):
    weekly = schedule()
    token = unsubscribe_token(schedule_id=weekly.pk, email="boss@client.test")
    page = f"/c/alpha/reports/unsubscribe/{token}/"
    anonymous = http_as(None)
    # GET asks for confirmation and changes nothing; POST unsubscribes
    confirm = anonymous.get(page)
    assert confirm.status_code == 200 and "boss@client.test" in confirm.content.decode()
    assert not ReportUnsubscribe.objects.exists()
    assert anonymous.post(page).status_code == 200
    assert list(ReportUnsubscribe.objects.values_list("email", flat=True)) == ["boss@client.test"]
    # a tampered link is refused, on both methods
    forged = unsubscribe_token(schedule_id=weekly.pk, email="manager@alpha.test")[:-2] + "xx"
    assert anonymous.get(f"/c/alpha/reports/unsubscribe/{forged}/").status_code == 400
    assert anonymous.post(f"/c/alpha/reports/unsubscribe/{forged}/").status_code == 400
    # a link of another client is refused in this one
    assert anonymous.get(f"/c/beta/reports/unsubscribe/{token}/").status_code == 400
    assert ReportUnsubscribe.objects.count() == 1
    delivery = ReportDelivery.objects.create(
        schedule=weekly, period_start=WEEK[0], period_end=WEEK[1], pdf=b"%PDF-1.4 x"
    )
    assert delivery_run(delivery.pk).sent_to == ["manager@alpha.test"]
    assert [m.to for m in mail.outbox] == [["manager@alpha.test"]]


def test_a_worker_whose_claim_was_taken_over_sends_nothing_more(world, in_alpha):
    weekly = schedule(created_at=timezone.now())
    delivery = ReportDelivery.objects.create(
        schedule=weekly, period_start=WEEK[0], period_end=WEEK[1], pdf=b"%PDF-1.4 rendered"
    )
    slow = delivery_claim(delivery.pk)  # this worker stalls past its lease…
    ReportDelivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    other = delivery_claim(delivery.pk)  # …and another one takes the delivery over
    assert other is not None
    # the first one wakes up: it must not send what the second one is sending
    assert _send_all(slow, weekly) is None
    assert mail.outbox == []
    assert _send_all(other, weekly).status == DeliveryStatus.SENT
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@client.test", "manager@alpha.test"]


def test_a_schedule_switched_to_monthly_sends_a_month_that_starts_on_a_sent_weeks_monday(world, in_alpha):
    # 1 June 2026 is a Monday: the week of 1-7 June was sent while the schedule was weekly
    switched = schedule(created_at=datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Paris")))
    ReportDelivery.objects.create(
        schedule=switched,
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 7),
        status=DeliveryStatus.SENT,
    )
    switched.frequency = "monthly"
    switched.save()
    due = deliveries_due(world.alpha, now=datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("Europe/Paris")))
    june = ReportDelivery.objects.get(schedule=switched, period_end=date(2026, 6, 30))
    assert due == [june.pk] and june.period_start == date(2026, 6, 1)


def test_a_suspended_agencys_clients_send_no_report(world, in_alpha):
    weekly = schedule()
    Agency.objects.filter(pk=world.alpha.agency_id).update(suspended_at=timezone.now())
    assert deliveries_due(Client.objects.get(pk=world.alpha.pk), now=NOW) == []
    assert not ReportDelivery.objects.filter(schedule=weekly).exists()
    Agency.objects.filter(pk=world.alpha.agency_id).update(suspended_at=None)
    assert len(deliveries_due(Client.objects.get(pk=world.alpha.pk), now=NOW)) == 1
