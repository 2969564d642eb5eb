"""The 15-minute tick sends the nightly full refresh by the clock, in one query on the public clients
(``time_zone``): to the clients whose local 03:00 passed since the last tick; the others get a
refresh only when they have dirty days (their ``PendingWork`` mark), an incremental one."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection

from kpis.tasks import TICK, kpi_refresh_batch, kpi_refresh_due
from tenants.models import FanoutTick, PendingWork

# 03:00 in Montréal (beta) is 07:00 UTC in June; 09:00 in Paris (alpha, gamma).
LAST_TICK = datetime(2026, 6, 15, 6, 50, tzinfo=UTC)
TICK_AT = datetime(2026, 6, 15, 7, 5, tzinfo=UTC)


def test_a_full_refresh_is_sent_to_the_clients_whose_3am_passed_since_the_last_tick(db, world, monkeypatch):
    sent: dict[int, bool] = {}

    def record(*, args, **_):
        assert connection.schema_name == "public"
        batch, full = args
        sent.update({client_id: client_id in full for client_id in batch})

    monkeypatch.setattr(kpi_refresh_batch, "apply_async", record)
    # given the last tick at 06:50 UTC, and alpha with dirty days (its mark)
    PendingWork.objects.all().delete()
    PendingWork.objects.create(client=world.alpha, kind=PendingWork.Kind.KPIS)
    FanoutTick.objects.update_or_create(name=TICK, defaults={"at": LAST_TICK})
    # when the tick of 07:05 UTC runs
    with time_machine.travel(TICK_AT, tick=False):
        result = kpi_refresh_due()
    # then beta gets its full refresh, alpha an incremental one, gamma nothing
    assert sent[world.beta.pk] is True and sent[world.alpha.pk] is False
    assert world.gamma.pk not in sent
    assert result["failed"] is False and result["full"] >= 1
    # and the tick moved on: the same window is not sent twice
    assert FanoutTick.objects.get(name=TICK).at == TICK_AT
    sent.clear()
    with time_machine.travel(TICK_AT + timedelta(minutes=15), tick=False):
        kpi_refresh_due()
    assert sent == {}
