"""The schedule's rule and its calendar: addresses normalised and bounded, sections checked, the period a
report covers (the last complete week or month) and when a schedule is due, in the client's zone."""

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from config.errors import DomainError
from reports import rules

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")


def checked(**fields):
    base = {"name": "Hebdo", "frequency": "weekly", "recipients": ["a@x.test"], "language": "fr"}
    return rules.schedule_fields_checked(**(base | fields))


def test_the_least_a_schedule_says_is_completed_with_defaults():
    values = checked(recipients=[" Client@Example.COM ", "client@example.com", "b@x.test"])
    assert values["recipients"] == ["client@example.com", "b@x.test"]
    assert values["sections"] == ["families", "pinned", "charts", "annotations", "objectives"]
    assert (values["weekday"], values["day_of_month"], values["hour"]) == (0, 1, 8)
    assert (values["requires_approval"], values["active"]) == (False, True)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"frequency": "daily"}, "frequency", "'daily' is not a frequency: weekly or monthly."),
        ({"language": "de"}, "language", "'de' is not a language: fr or en."),
        ({"recipients": ["not-an-email"]}, "recipients", "'not-an-email' is not an email address."),
        ({"recipients": []}, "recipients", "Give at least one recipient."),
        ({"recipients": [f"p{i}@x.test" for i in range(51)]}, "recipients", "At most 50 recipients per report."),
        ({"sections": ["charts", "gossip"]}, "sections", "Unknown report section: gossip."),
        ({"hour": 24}, "hour", "An hour is 0 to 23."),
        ({"day_of_month": 32}, "day_of_month", "A day of the month is 1 to 31."),
        ({"name": "  "}, "name", "Give the report a name."),
    ],
)
def test_a_refused_field_is_named_with_its_reason(fields, field, message):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        checked(**fields)
    assert refused.value.field == field
    assert refused.value.message.startswith(message)


def test_fifty_distinct_addresses_pass_and_duplicates_do_not_count():
    many = [f"p{i}@x.test" for i in range(50)]
    assert len(checked(recipients=many + [m.upper() for m in many])["recipients"]) == 50


def test_the_period_is_the_last_complete_week_or_month():
    # Monday 7 December 2026: the week of 30 November to 6 December; any day of December: November
    assert rules.period_before("weekly", date(2026, 12, 7)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert rules.period_before("weekly", date(2026, 12, 6)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert rules.period_before("monthly", date(2026, 12, 1)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert rules.period_before("monthly", date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))


def schedule(**fields):
    base = {"frequency": "weekly", "weekday": 0, "day_of_month": 1, "hour": 8, "active": True}
    return SimpleNamespace(**(base | {"created_at": datetime(2026, 1, 1, tzinfo=PARIS)} | fields))


def test_a_weekly_schedule_is_due_from_its_hour_in_the_clients_zone():
    monday_8 = schedule()
    # Monday 7 December, 07:59 in Paris: last Monday's run is the latest (covering 23-29 November)
    before = datetime(2026, 12, 7, 6, 59, tzinfo=ZoneInfo("UTC"))
    assert rules.latest_run(monday_8, now=before, zone=PARIS) == datetime(2026, 11, 30, 8, tzinfo=PARIS)
    assert rules.due_period(monday_8, now=before, zone=PARIS) == (date(2026, 11, 23), date(2026, 11, 29))
    # at 08:00 Paris it covers 30 November - 6 December; in Montreal (UTC-5) it is still 02:00 there
    at = datetime(2026, 12, 7, 7, 0, tzinfo=ZoneInfo("UTC"))
    assert rules.due_period(monday_8, now=at, zone=PARIS) == (date(2026, 11, 30), date(2026, 12, 6))
    assert rules.due_period(monday_8, now=at, zone=MONTREAL) == (date(2026, 11, 23), date(2026, 11, 29))
    assert rules.next_run(monday_8, now=at, zone=PARIS) == datetime(2026, 12, 14, 8, tzinfo=PARIS)


def test_a_monthly_schedule_and_one_created_after_its_last_run():
    third_at_9 = schedule(frequency="monthly", day_of_month=3, hour=9)
    now = datetime(2026, 12, 2, 12, tzinfo=PARIS)
    assert rules.latest_run(third_at_9, now=now, zone=PARIS) == datetime(2026, 11, 3, 9, tzinfo=PARIS)
    assert rules.due_period(third_at_9, now=now, zone=PARIS) == (date(2026, 10, 1), date(2026, 10, 31))
    assert rules.next_run(third_at_9, now=now, zone=PARIS) == datetime(2026, 12, 3, 9, tzinfo=PARIS)
    # created after its latest run: nothing is due until the next one
    late = schedule(frequency="monthly", day_of_month=3, hour=9, created_at=datetime(2026, 11, 20, tzinfo=PARIS))
    assert rules.due_period(late, now=now, zone=PARIS) is None
    assert rules.due_period(schedule(active=False), now=now, zone=PARIS) is None


def test_a_chosen_period_is_the_one_holding_the_day_and_not_in_the_future():
    today = date(2026, 12, 3)
    assert rules.period_start_checked("weekly", date(2026, 11, 26), today=today) == (
        date(2026, 11, 23),
        date(2026, 11, 29),
    )
    assert rules.period_start_checked("monthly", date(2026, 12, 2), today=today)[0] == date(2026, 12, 1)
    with translation.override("en"), pytest.raises(DomainError, match="not started yet"):
        rules.period_start_checked("monthly", date(2027, 1, 5), today=today)
    with pytest.raises(DomainError):
        rules.period_start_checked("monthly", date(1990, 1, 5), today=today)


def test_the_31st_sends_on_a_shorter_months_last_day_once_a_month():
    end_of_month = schedule(frequency="monthly", day_of_month=31, hour=8)
    assert (
        rules.schedule_fields_checked(
            name="x", frequency="monthly", recipients=["a@b.test"], language="fr", day_of_month=31
        )["day_of_month"]
        == 31
    )
    # February 2027 has 28 days, February 2028 29: the run is on the last one
    march_1 = datetime(2027, 3, 1, 12, tzinfo=PARIS)
    assert rules.latest_run(end_of_month, now=march_1, zone=PARIS) == datetime(2027, 2, 28, 8, tzinfo=PARIS)
    assert rules.due_period(end_of_month, now=march_1, zone=PARIS) == (date(2027, 1, 1), date(2027, 1, 31))
    assert rules.next_run(end_of_month, now=march_1, zone=PARIS) == datetime(2027, 3, 31, 8, tzinfo=PARIS)
    leap = datetime(2028, 2, 29, 8, tzinfo=PARIS)
    assert rules.latest_run(end_of_month, now=leap, zone=PARIS) == leap
    # 30 April, then 31 May: every month once, none skipped
    april_30 = datetime(2027, 4, 30, 9, tzinfo=PARIS)
    assert rules.latest_run(end_of_month, now=april_30, zone=PARIS) == datetime(2027, 4, 30, 8, tzinfo=PARIS)
    assert rules.next_run(end_of_month, now=april_30, zone=PARIS) == datetime(2027, 5, 31, 8, tzinfo=PARIS)
    # the 30th in February 2027, before the run of 28 February: still January's run
    thirtieth = schedule(frequency="monthly", day_of_month=30, hour=8)
    feb_27 = datetime(2027, 2, 27, 12, tzinfo=PARIS)
    assert rules.latest_run(thirtieth, now=feb_27, zone=PARIS) == datetime(2027, 1, 30, 8, tzinfo=PARIS)


def test_dst_changes_run_once_at_a_sensible_hour():
    utc = ZoneInfo("UTC")
    # Sunday 29 March 2026 in Paris: 02:00 becomes 03:00; a 02:00 run happens at 03:00 (01:00 UTC)
    sunday_2 = schedule(weekday=6, hour=2)
    spring = rules.latest_run(sunday_2, now=datetime(2026, 3, 29, 1, 30, tzinfo=utc), zone=PARIS)
    assert spring == datetime(2026, 3, 29, 1, tzinfo=utc)
    # and the page and the API show it as the clock will: 03:00 summer time, not a 02:00 that never is
    assert rules.next_run(sunday_2, now=datetime(2026, 3, 23, tzinfo=utc), zone=PARIS).isoformat() == (
        "2026-03-29T03:00:00+02:00"
    )
    assert rules.due_period(sunday_2, now=datetime(2026, 3, 29, 0, 59, tzinfo=utc), zone=PARIS) == (
        date(2026, 3, 9),
        date(2026, 3, 15),
    )
    # Sunday 25 October 2026: 02:00-03:00 happens twice; the run is the first 02:00 (00:00 UTC), and
    # during the second 02:00-03:00 the latest run (so the period due) is still that one
    first = rules.latest_run(sunday_2, now=datetime(2026, 10, 25, 0, 0, tzinfo=utc), zone=PARIS)
    assert first == datetime(2026, 10, 25, 0, 0, tzinfo=utc)
    second_pass = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)  # 01:30 UTC
    assert rules.latest_run(sunday_2, now=second_pass, zone=PARIS) == first
    assert rules.due_period(sunday_2, now=second_pass, zone=PARIS) == (date(2026, 10, 12), date(2026, 10, 18))
    # Montreal's hour follows its own change (8 March 2026): 08:00 local is 13:00 UTC, then 12:00 UTC
    monday_8 = schedule()
    before = rules.latest_run(monday_8, now=datetime(2026, 3, 6, tzinfo=utc), zone=MONTREAL)
    after = rules.latest_run(monday_8, now=datetime(2026, 3, 13, tzinfo=utc), zone=MONTREAL)
    assert (before.astimezone(utc).hour, after.astimezone(utc).hour) == (13, 12)
