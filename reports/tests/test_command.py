"""``report_send``: sends now in this process and prints the delivery; bad input is a clear error."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from reports.models import ReportDelivery
from reports.tests.helpers import headline_snapshots, schedule


def run(*args) -> str:
    out = StringIO()
    call_command("report_send", *args, stdout=out)
    return out.getvalue()


def test_it_sends_the_week_of_a_french_day_first_date_and_prints_the_delivery(world, in_alpha):
    weekly = schedule()
    headline_snapshots(period="week", start=date(2026, 11, 23))
    printed = run("--tenant", "alpha", "--report", str(weekly.pk), "--period-start", "26/11/2026")
    delivery = ReportDelivery.objects.get(schedule=weekly)
    assert f"delivery {delivery.pk}" in printed
    assert "period   2026-11-23 – 2026-11-29" in printed
    assert "status   sent" in printed
    assert "sent to  manager@alpha.test, boss@client.test" in printed
    assert (delivery.trigger, delivery.status) == ("manual", "sent")
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@client.test", "manager@alpha.test"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tenant", "nope", "--report", "1"), "No active client account 'nope'."),
        (("--tenant", "alpha", "--report", "x1"), "--report: 'x1' is not a report id (a number)."),
        (("--tenant", "alpha", "--report", "999999"), "No report 999999 in 'alpha'."),
        (("--tenant", "alpha", "--report", "{pk}", "--period-start", "2026-13-01"), "--period-start:"),
        (("--tenant", "alpha", "--report", "{pk}", "--period-start", "01/01/2099"), "--period-start:"),
    ],
)
def test_bad_input_is_a_clear_error(world, in_alpha, args, message):
    weekly = schedule()
    with pytest.raises(CommandError, match="^" + re.escape(message)):
        run(*(a.format(pk=weekly.pk) for a in args))
    assert not ReportDelivery.objects.exists() and mail.outbox == []
