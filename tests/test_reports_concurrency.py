"""Exactly once under real concurrency (committed rows, one database connection per thread, as two
worker processes or two beat ticks have): two ticks at once create one scheduled delivery, and two
deliver tasks at once claim it once."""

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from reports.delivery import delivery_claim
from reports.models import DeliveryStatus, ReportDelivery, ReportSchedule
from reports.services import deliveries_due
from reports.tests.helpers import schedule


def _at_once(work, count: int = 2) -> list:
    """``work()`` in ``count`` threads released together, each on its own connection."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as error:  # every error is reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_ticks_create_one_delivery_and_two_tasks_claim_it_once(committed):
    alpha = committed.alpha
    with tenant_context(alpha):
        weekly = schedule(created_at=timezone.now() - timedelta(days=60))
    try:

        def tick():
            with tenant_context(alpha):
                return deliveries_due(alpha, now=timezone.now())

        first, second = _at_once(tick)
        with tenant_context(alpha):
            [delivery] = ReportDelivery.objects.filter(schedule=weekly)
        assert first == second == [delivery.pk]

        def deliver():
            with tenant_context(alpha):
                claimed = delivery_claim(delivery.pk)
                return claimed.pk if claimed is not None else None

        claims = _at_once(deliver, count=4)
        assert sorted(claims, key=lambda c: c is None) == [delivery.pk, None, None, None]
        with tenant_context(alpha):
            claimed = ReportDelivery.objects.get(pk=delivery.pk)
        assert (claimed.status, claimed.attempts) == (DeliveryStatus.RENDERING, 1)
    finally:
        with tenant_context(alpha):
            ReportSchedule.objects.all().delete()
