"""The digest's periodic task in a real Celery worker, sending through a real SMTP server on loopback:
one DigestSend row and one mail per agency person, however many times the task runs that Monday."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import DigestSend, DigestSendStatus
from alerts.digest import agency_zones, digest_batch, digest_due
from portfolio.models import Pulse
from tests.processes import start_worker, stop, wait_for
from tests.receivers import smtp_inbox

pytestmark = pytest.mark.worker

WEEK = date(2026, 12, 7)  # a Monday


@pytest.fixture
def inbox():
    with smtp_inbox() as inbox:
        yield inbox


@pytest.fixture
def worker(committed, tmp_path, inbox):
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    # the tick's batches (alerts.digest_batch) are sent from the worker, to its default queue: this one
    env = {"EMAIL_URL": inbox.url, "CELERY_TASK_DEFAULT_QUEUE": queue}
    process = start_worker(queue, tmp_path / "worker.log", env=env)
    yield queue
    stop(process)
    DigestSend.objects.filter(week_start=WEEK).delete()


def test_the_periodic_task_sends_each_agency_person_one_digest(committed, worker, inbox):
    world = committed
    Pulse.objects.update_or_create(client=world.beta, defaults={"as_of": timezone.now(), "red": 2})
    # The worker's clock cannot be moved: the task is told the instant, 08:05 on Monday in the agency's zone.
    zone = agency_zones([world.agency])[world.agency.pk]
    at = datetime(WEEK.year, WEEK.month, WEEK.day, 8, 5, tzinfo=zone).isoformat()

    first = digest_due.apply_async(kwargs={"at": at}, queue=worker).get(timeout=90)
    rows = DigestSend.objects.filter(agency=world.agency, week_start=WEEK)
    assert wait_for(lambda: set(rows.values_list("status", flat=True)) == {DigestSendStatus.SENT})
    assert wait_for(lambda: len(inbox.to("staff@agence.test")) == 1 and len(inbox.to("owner@agence.test")) == 1)
    second = digest_due.apply_async(kwargs={"at": at}, queue=worker).get(timeout=60)

    assert sorted(rows.values_list("user__email", "status")) == [
        ("owner@agence.test", DigestSendStatus.SENT),
        ("staff@agence.test", DigestSendStatus.SENT),
    ]
    # the first tick sent the agency people's digests, in batches; the second finds them settled
    assert first["people"] >= 2 and first["tasks"] >= 1 and second == {"people": 0, "tasks": 0}
    assert [len(inbox.to(email)) for email in ("owner@agence.test", "staff@agence.test")] == [1, 1]
    assert inbox.to("manager@alpha.test") == [] and inbox.to("viewer@beta.test") == []
    assert "Beta SARL" in inbox.to("owner@agence.test")[0].get_body(("plain",)).get_content()


def test_two_ticks_at_once_send_each_person_once(committed, mailoutbox, monkeypatch):
    """Two beats (or a tick still running when the next one starts), racing on their own connections."""
    world = committed
    Pulse.objects.update_or_create(client=world.beta, defaults={"as_of": timezone.now(), "red": 2})
    zone = agency_zones([world.agency])[world.agency.pk]
    at = datetime(WEEK.year, WEEK.month, WEEK.day, 8, 5, tzinfo=zone).isoformat()
    start = threading.Barrier(2)
    outcomes = []
    sent: dict[int, list] = {}  # each thread's batches, which it then runs itself, as two workers would

    def tick():
        start.wait()
        try:
            digest_due(at=at)
            for args in sent.get(threading.get_ident(), []):
                outcomes.append(digest_batch.apply(args=args).get())
        finally:
            connection.close()

    def record(*, args=(), **_options):
        sent.setdefault(threading.get_ident(), []).append(args)

    try:
        monkeypatch.setattr(digest_batch, "apply_async", record)
        threads = [threading.Thread(target=tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        agency_mails = sorted(m.to[0] for m in mailoutbox if m.to[0].endswith("@agence.test"))
        assert agency_mails == ["owner@agence.test", "staff@agence.test"]
        assert DigestSend.objects.filter(agency=world.agency, week_start=WEEK).count() == 2
        assert sum(o.get("sent", 0) for o in outcomes) == len(mailoutbox)
    finally:
        DigestSend.objects.filter(week_start=WEEK).delete()
