"""The 15-minute tick decides full or incremental from each client's own refresh log (kpis.RefreshRun),
not from the portfolio's copy: the full refresh is due until the log holds one since the last 03:00."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from kpis.models import RefreshRun
from kpis.tasks import kpi_refresh_due, kpi_snapshot_refresh_task
from portfolio.models import Pulse


def _logged(client, *modes_and_ages) -> None:
    now = timezone.now()
    # explicit: the test writes three clients' logs in turn, and the tick reads them from the public schema
    with tenant_context(client):
        RefreshRun.objects.all().delete()
        for mode, age in modes_and_ages:
            RefreshRun.objects.create(
                mode=mode,
                as_of=now - age,
                started_at=now - age,
                duration_ms=1,
                dirty_days=0,
                measures_changed=0,
                snapshots_changed=0,
                anomalies_flagged=0,
            )


# Noon in Paris (alpha, gamma), 06:00 in Montréal (beta): after every client's nightly 03:00, on a fixed clock.
NOON = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@time_machine.travel(NOON, tick=False)
def test_a_full_refresh_is_sent_until_the_clients_log_has_one_since_its_last_3am(db, world, monkeypatch):
    sent: dict[str, bool] = {}
    monkeypatch.setattr(
        kpi_snapshot_refresh_task,
        "apply_async",
        lambda *, kwargs, **_: sent.__setitem__(connection.schema_name, kwargs["full"]),
    )
    # given alpha ran a full refresh a minute ago (then incremental ones), beta's last full one is two
    # days old (incremental ones since), gamma never ran one; and no portfolio row says anything
    incremental, full = RefreshRun.Mode.INCREMENTAL, RefreshRun.Mode.FULL
    _logged(world.alpha, (full, timedelta(minutes=1)), (incremental, timedelta(seconds=10)))
    _logged(world.beta, (full, timedelta(days=2)), (incremental, timedelta(minutes=5)))
    _logged(world.gamma)
    Pulse.objects.all().delete()
    # when the tick runs
    result = kpi_refresh_due()
    # then alpha gets an incremental refresh, beta and gamma a full one
    assert (sent["c_alpha"], sent["c_beta"], sent["c_gamma"]) == (False, True, True)
    assert result["failed"] == 0 and result["full"] >= 2 and result["incremental"] >= 1
