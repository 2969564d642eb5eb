"""The report API: the least a script sends is completed with defaults; bad input is a 400 with the
field's error; managers and agency people write, sales and viewers read the schedules they receive,
only the agency approves a draft, and another client's people get a 404."""

from datetime import date

import pytest

from reports.models import DeliveryStatus, ReportDelivery, ReportSchedule, Trigger
from reports.tests.helpers import english

API = "/c/alpha/api/v1/reports/"
MINIMAL = {"name": "Hebdo client", "frequency": "weekly", "recipients": ["Client@Example.com"], "language": "fr"}


def _post(browser, path: str, body: dict):
    return browser.post(path, body, content_type="application/json")


def test_the_least_a_script_sends_creates_a_weekly_schedule(http_as, world, in_alpha):
    created = _post(http_as(world.manager_alpha), API, MINIMAL)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body | {"id": 0, "created_at": "", "updated_at": "", "next_run": ""} == {
        "id": 0,
        "name": "Hebdo client",
        "frequency": "weekly",
        "weekday": 0,
        "day_of_month": 1,
        "hour": 8,
        "language": "fr",
        "sections": ["families", "pinned", "charts", "annotations", "objectives"],
        "recipients": ["client@example.com"],
        "requires_approval": False,
        "active": True,
        "created_by": "manager@alpha.test",
        "next_run": "",
        "created_at": "",
        "updated_at": "",
    }
    assert body["next_run"].endswith(("+01:00", "+02:00"))  # 08:00 in Paris, alpha's zone
    changed = http_as(world.owner).patch(
        f"{API}{body['id']}/", {"frequency": "monthly", "day_of_month": 3}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["frequency"], changed.json()["day_of_month"], changed.json()["name"]) == (
        "monthly",
        3,
        "Hebdo client",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"frequency": "daily"}, "frequency", "'daily' is not a frequency: weekly or monthly."),
        ({"recipients": ["client@", "ok@x.test"]}, "recipients", "'client@' is not an email address."),
        ({"recipients": [f"p{i}@x.test" for i in range(51)]}, "recipients", "At most 50 recipients per report."),
        ({"sections": ["charts", "horoscope"]}, "sections", "Unknown report section: horoscope."),
        ({"language": "es"}, "language", "'es' is not a language: fr or en."),
        ({"hour": 25}, "hour", "An hour is 0 to 23."),
    ],
)
def test_bad_input_is_a_400_with_the_fields_error(http_as, world, in_alpha, change, field, message):
    refused = _post(english(http_as(world.owner)), API, MINIMAL | change)
    assert refused.status_code == 400, refused.content
    assert list(refused.json()) == [field]
    assert refused.json()[field][0].startswith(message), refused.json()
    assert not ReportSchedule.objects.exists()


def test_missing_fields_are_named(http_as, world, in_alpha):
    refused = _post(http_as(world.owner), API, {"name": "x"})
    assert refused.status_code == 400
    assert set(refused.json()) == {"frequency", "recipients", "language"}


def _schedule(**fields) -> ReportSchedule:
    values = {"name": "Mensuel", "frequency": "monthly", "language": "fr", "recipients": ["boss@client.test"]}
    return ReportSchedule.objects.create(**(values | fields))


def test_viewers_and_sales_read_the_schedules_they_receive_and_write_none(http_as, world, in_alpha):
    theirs = _schedule(recipients=["viewer@alpha.test", "sales@alpha.test"])
    _schedule(name="Interne")
    for user in (world.viewer_alpha, world.sales_alpha):
        browser = http_as(user)
        assert [s["id"] for s in browser.get(API).json()] == [theirs.pk]
        assert browser.get(f"{API}{theirs.pk}/deliveries/").status_code == 200
        assert _post(browser, API, MINIMAL).status_code == 403
        assert _post(browser, f"{API}{theirs.pk}/send/", {}).status_code == 403
        assert browser.delete(f"{API}{theirs.pk}/").status_code == 403
    # the schedule they do not receive does not exist for them
    hidden = ReportSchedule.objects.get(name="Interne")
    assert http_as(world.viewer_alpha).get(f"{API}{hidden.pk}/").status_code == 404
    assert len(http_as(world.manager_alpha).get(API).json()) == 2


def test_another_clients_people_get_a_404(http_as, world, in_alpha):
    schedule = _schedule()
    for user in (world.other_owner, world.viewer_beta, world.outsider):
        browser = http_as(user)
        assert browser.get(API).status_code == 404
        assert browser.get(f"{API}{schedule.pk}/").status_code == 404
        assert _post(browser, f"{API}{schedule.pk}/send/", {}).status_code == 404
    assert http_as(None).get(API).status_code in (401, 403)


def test_send_now_queues_a_manual_delivery_outside_the_once_per_period_rule(http_as, world, in_alpha):
    schedule = _schedule()
    browser = http_as(world.manager_alpha)
    first = _post(browser, f"{API}{schedule.pk}/send/", {"period_start": "2026-10-15"})
    assert first.status_code == 202, first.content
    assert (first.json()["period_start"], first.json()["period_end"]) == ("2026-10-01", "2026-10-31")
    assert first.json()["status"] == "queued" and first.json()["trigger"] == "manual"
    # a second click while the first is on its way is refused: one render, one email each
    twice = _post(english(browser), f"{API}{schedule.pk}/send/", {"period_start": "2026-10-01"})
    assert twice.status_code == 400
    assert twice.json() == {"period_start": ["A report of this period is already on its way."]}
    # the page's Send now (the last complete month) likewise: twice, one delivery
    page = http_as(world.manager_alpha)
    assert page.post(f"/c/alpha/reports/{schedule.pk}/send/").status_code == 302
    assert page.post(f"/c/alpha/reports/{schedule.pk}/send/").status_code == 302
    assert ReportDelivery.objects.filter(schedule=schedule).exclude(period_start=date(2026, 10, 1)).count() == 1
    # once it is sent, it may be sent again (outside the once-per-period rule of scheduled ones)
    ReportDelivery.objects.filter(pk=first.json()["id"]).update(status=DeliveryStatus.SENT)
    again = _post(browser, f"{API}{schedule.pk}/send/", {"period_start": "2026-10-01"})
    assert again.status_code == 202
    assert ReportDelivery.objects.filter(schedule=schedule, period_start=date(2026, 10, 1)).count() == 2
    future = _post(browser, f"{API}{schedule.pk}/send/", {"period_start": "2099-01-01"})
    assert future.status_code == 400 and list(future.json()) == ["period_start"]


def test_only_the_agency_approves_a_draft(http_as, world, in_alpha):
    schedule = _schedule(requires_approval=True)
    draft = ReportDelivery.objects.create(
        schedule=schedule,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        status=DeliveryStatus.AWAITING_APPROVAL,
        pdf=b"%PDF-1.4 draft",
    )
    path = f"{API}{schedule.pk}/deliveries/{draft.pk}/approve/"
    assert _post(http_as(world.manager_alpha), path, {}).status_code == 403
    pdf = http_as(world.manager_alpha).get(f"{API}{schedule.pk}/deliveries/{draft.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content == b"%PDF-1.4 draft"
    approved = _post(http_as(world.staff), path, {})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("queued", "staff@agence.test")
    # a second approval is refused: it is no longer a draft
    assert _post(http_as(world.owner), path, {}).status_code == 400


def test_the_lists_cost_a_fixed_number_of_queries(http_as, world, in_alpha, django_assert_max_num_queries):
    browser = http_as(world.owner)

    def count(path: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured.captured_queries)

    first = _schedule(created_by=world.owner)
    for day in (1, 2):
        ReportDelivery.objects.create(
            schedule=first, period_start=date(2026, day, 1), period_end=date(2026, day, 28), trigger=Trigger.MANUAL
        )
    few_schedules, few_deliveries = count(API), count(f"{API}{first.pk}/deliveries/")
    for i in range(6):
        _schedule(name=f"S{i}", created_by=world.manager_alpha)
    for day in range(3, 12):
        ReportDelivery.objects.create(
            schedule=first,
            period_start=date(2026, day, 1),
            period_end=date(2026, day, 28),
            trigger=Trigger.MANUAL,
            approved_by=world.owner,
        )
    with django_assert_max_num_queries(few_schedules):
        assert len(browser.get(API).json()) == 7
    with django_assert_max_num_queries(few_deliveries):
        assert len(browser.get(f"{API}{first.pk}/deliveries/").json()) == 11


def test_only_the_agency_turns_approval_off(http_as, world, in_alpha):
    gated = _schedule(requires_approval=True)
    path = f"{API}{gated.pk}/"
    manager = http_as(world.manager_alpha)
    # a manager edits the schedule, but cannot lift the review the agency asked for
    assert _patch(manager, path, {"name": "Renamed"}).status_code == 200
    lifted = _patch(english(manager), path, {"requires_approval": False})
    assert lifted.status_code == 400
    assert lifted.json() == {"requires_approval": ["Only the agency turns off the approval of this report."]}
    assert ReportSchedule.objects.get(pk=gated.pk).requires_approval is True
    # turning it on is anyone's; off, the agency's
    assert _patch(http_as(world.staff), path, {"requires_approval": False}).status_code == 200
    assert _patch(manager, path, {"requires_approval": True}).status_code == 200


def _patch(browser, path: str, body: dict):
    return browser.patch(path, body, content_type="application/json")
