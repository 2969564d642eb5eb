"""Scheduled reports end to end: a real Celery worker renders the PDF with chromium and sends through a
real SMTP server on loopback (aiosmtpd). A scheduled report arrives once however often the periodic
task runs, with the PDF whose text holds the client, the period and the snapshots' numbers; a report
that needs approval is not sent before it and is sent once after; a worker killed mid-render, or
between two recipients, leaves one delivery that the next worker finishes, one email per recipient."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import os
import signal
import time
import uuid

import pytest
from aiosmtpd.controller import Controller
from babel.dates import format_date
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from config.celery import app
from reports import rules
from reports.models import DeliveryStatus, ReportDelivery, ReportSchedule, ReportUnsubscribe
from reports.tasks import reports_due_task
from reports.tests.helpers import headline_snapshots, schedule
from tenants.zones import client_zone
from tests.processes import free_port, start_worker, stop, wait_for
from tests.receivers import SmtpInbox, smtp_inbox

pytestmark = pytest.mark.worker

RECIPIENTS = ["manager@alpha.test", "boss@client.test"]


@pytest.fixture
def inbox():
    with smtp_inbox() as server:
        yield server


@pytest.fixture
def queue(committed):
    """A queue of the test's own: the periodic task's fan-out sends the deliveries there."""
    name = f"pouls-test-{uuid.uuid4().hex[:10]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous
    with tenant_context(committed.alpha):
        ReportSchedule.objects.all().delete()


def worker(queue: str, inbox, log_path, **env):
    return start_worker(queue, log_path, env={"CELERY_TASK_DEFAULT_QUEUE": queue, "EMAIL_URL": inbox.url, **env})


def due_schedule(client, **fields) -> tuple[ReportSchedule, tuple]:
    """A weekly schedule of ``client`` due now, and the period it covers (with its snapshots)."""
    with tenant_context(client):
        weekly = schedule(recipients=RECIPIENTS, **fields)
        period = rules.due_period(weekly, now=timezone.now(), zone=client_zone(client))
        headline_snapshots(period="week", start=period[0])
    return weekly, period


def tick(queue: str) -> dict:
    return reports_due_task.apply_async(queue=queue).get(timeout=60)


def deliveries(client) -> list[ReportDelivery]:
    with tenant_context(client):
        return list(ReportDelivery.objects.defer("pdf").order_by("pk"))


def pdf_text(message) -> str:
    attachment = next(part for part in message.iter_attachments() if part.get_content_type() == "application/pdf")
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    return " ".join(page.extract_text() for page in reader.pages)


def test_a_scheduled_report_arrives_once_with_its_pdf(committed, queue, inbox, tmp_path):
    weekly, (start, end) = due_schedule(committed.alpha)
    process = worker(queue, inbox, tmp_path / "worker.log")
    try:
        # beat fires twice (or two ticks overlap): both see the report due
        tick(queue)
        tick(queue)
        assert wait_for(lambda: len(inbox.messages) >= 2, timeout=120), (tmp_path / "worker.log").read_text()[-3000:]
        time.sleep(3)  # a second sending would have arrived by now
        # one delivery of that period, sent, one message to each recipient
        [delivery] = deliveries(committed.alpha)
        assert (delivery.period_start, delivery.period_end, delivery.status) == (start, end, DeliveryStatus.SENT)
        assert sorted(delivery.sent_to) == sorted(RECIPIENTS)
        assert sorted(rcpt for _sender, rcpts in inbox.envelopes for rcpt in rcpts) == sorted(RECIPIENTS)
        message = inbox.to("boss@client.test")[0]
        assert "Alpha SAS" in message["Subject"]
        assert message["List-Unsubscribe"] and not inbox.to("manager@alpha.test")[0]["List-Unsubscribe"]
        # the PDF: the client's name, the period and the snapshots' values
        text = pdf_text(message)
        normalised = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
        assert "Alpha SAS" in normalised
        for day in (start, end):  # "23 novembre 2026": the report's language is French
            assert format_date(day, "d MMMM y", locale="fr_FR") in normalised, normalised[:2000]
        assert "1 234" in normalised and "321" in normalised, normalised[:2000]
        # the external recipient's link (as received) unsubscribes them; tampered, it is refused
        link = str(message["List-Unsubscribe"]).strip().strip("<>")
        path = link.removeprefix(settings.POULS_PUBLIC_URL)
        assert path.startswith("/c/alpha/reports/unsubscribe/") and link in message.get_body(("plain",)).get_content()
        anonymous = HttpClient()
        assert anonymous.post(path[:-3] + "x" + path[-2:]).status_code == 400
        assert anonymous.get(path).status_code == 200
        assert anonymous.post(path).status_code == 200
        with tenant_context(committed.alpha):
            assert list(ReportUnsubscribe.objects.values_list("schedule_id", "email")) == [
                (weekly.pk, "boss@client.test")
            ]
        # the next tick finds nothing to do
        tick(queue)
        time.sleep(2)
        assert len(inbox.messages) == 2 and len(deliveries(committed.alpha)) == 1
    finally:
        stop(process)


def test_an_approval_gated_report_waits_for_the_agency(committed, queue, inbox, tmp_path):
    weekly, _period = due_schedule(committed.alpha, requires_approval=True)
    process = worker(queue, inbox, tmp_path / "worker.log")
    try:
        tick(queue)
        assert wait_for(lambda: [d.status for d in deliveries(committed.alpha)] == ["awaiting_approval"], timeout=120)
        tick(queue)
        time.sleep(2)
        assert inbox.messages == []
        [draft] = deliveries(committed.alpha)
        browser = HttpClient()
        api = f"/c/alpha/api/v1/reports/{weekly.pk}/deliveries/{draft.pk}/"
        # the draft's preview is there; a client manager may not approve it, the agency does
        preview = browser_as(browser, committed.manager_alpha).get(f"{api}pdf/")
        assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
        assert browser.post(f"{api}approve/").status_code == 403
        approved = browser_as(browser, committed.staff).post(f"{api}approve/")
        assert approved.status_code == 200, approved.content
        assert wait_for(lambda: len(inbox.messages) >= 2, timeout=60), (tmp_path / "worker.log").read_text()[-3000:]
        tick(queue)
        time.sleep(3)
        assert len(inbox.messages) == 2
        [sent] = deliveries(committed.alpha)
        assert (sent.status, sent.approved_by_id) == (DeliveryStatus.SENT, committed.staff.pk)
    finally:
        stop(process)


def browser_as(browser: HttpClient, user) -> HttpClient:
    browser.force_login(user)
    return browser


def test_a_worker_killed_mid_delivery_leaves_one_delivery_and_one_email_each(committed, queue, inbox, tmp_path):
    due_schedule(committed.alpha)
    lease = {"POULS_REPORT_LEASE_SECONDS": "3"}
    first = worker(queue, inbox, tmp_path / "first.log", **lease)
    try:
        tick(queue)
        # kill it (SIGKILL: no cleanup, the task's message stays unacknowledged) while it renders
        deadline = time.monotonic() + 90
        statuses: list[str] = []
        while time.monotonic() < deadline:
            statuses = [d.status for d in deliveries(committed.alpha)]
            if statuses == ["rendering"]:
                break
            time.sleep(0.02)
        assert statuses == ["rendering"], statuses
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            stop(first)
    assert inbox.messages == []
    second = worker(queue, inbox, tmp_path / "second.log", **lease)
    try:
        # once the dead worker's lease has expired, the periodic task hands the delivery to the new worker
        time.sleep(4)
        tick(queue)
        assert wait_for(lambda: len(inbox.messages) >= 2, timeout=120), (tmp_path / "second.log").read_text()[-3000:]
        tick(queue)
        time.sleep(3)
        [delivery] = deliveries(committed.alpha)
        assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
        assert sorted(m["To"] for m in inbox.messages) == sorted(RECIPIENTS)
    finally:
        stop(second)


class _SlowFirstRcpt:
    """An SMTP server that stalls the first time ``slow`` is named as a recipient (a slow relay), so a
    test can kill the worker between two recipients; it keeps what it accepts in ``inbox``."""

    def __init__(self, inbox: SmtpInbox, slow: str):
        self.inbox, self.slow, self.stalled = inbox, slow, False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.slow and not self.stalled:
            self.stalled = True
            await asyncio.sleep(30)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.inbox.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.inbox.messages.append(message)
        return "250 Message accepted for delivery"


def test_a_worker_killed_between_two_recipients_does_not_resend_to_the_first(committed, queue, tmp_path):
    inbox = SmtpInbox(host="127.0.0.1", port=free_port())
    relay = _SlowFirstRcpt(inbox, "boss@client.test")
    controller = Controller(relay, hostname=inbox.host, port=inbox.port)
    controller.start()
    due_schedule(committed.alpha)
    lease = {"POULS_REPORT_LEASE_SECONDS": "3"}
    try:
        first = worker(queue, inbox, tmp_path / "first.log", **lease)
        try:
            tick(queue)
            # the member got theirs (logged in sent_to) and the worker is stuck on the second recipient:
            # killed only once the relay holds that recipient, else the next worker would meet the stall
            assert wait_for(
                lambda: (
                    relay.stalled
                    and [(d.status, d.sent_to) for d in deliveries(committed.alpha)]
                    == [("sending", ["manager@alpha.test"])]
                ),
                timeout=90,
            ), (tmp_path / "first.log").read_text()[-3000:]
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                stop(first)
        assert [m["To"] for m in inbox.messages] == ["manager@alpha.test"]
        second = worker(queue, inbox, tmp_path / "second.log", **lease)
        try:
            time.sleep(4)  # the dead worker's lease expires
            tick(queue)
            assert wait_for(lambda: len(inbox.messages) >= 2, timeout=90), (tmp_path / "second.log").read_text()[-3000:]
            tick(queue)
            time.sleep(3)
        finally:
            stop(second)
        # one delivery, one email per recipient: the member was not sent the report again
        [delivery] = deliveries(committed.alpha)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
        assert delivery.sent_to == ["manager@alpha.test", "boss@client.test"]
        assert sorted(m["To"] for m in inbox.messages) == sorted(RECIPIENTS)
    finally:
        controller.stop()
