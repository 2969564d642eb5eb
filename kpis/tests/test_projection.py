"""Month-end projection of a weekly objective (docs/kpis.md §5): ``month_target = T × N ÷ 7``,
``projected = actual × N ÷ d``, ``needed_per_day = max(0, month_target − actual) ÷ (N − d)`` (null on
the last day), projected status from projected ÷ month_target. Every expected value is worked out
by hand in the comment beside it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from campaigns.tests.factories import builtin_channel
from kpis.models import Objective
from kpis.pacing import Projection, pacing_compute, projection_compute
from kpis.refresh import kpi_snapshot_refresh
from leads.tests.factories import LeadFactory

PARIS = ZoneInfo("Europe/Paris")
BASE = "/c/alpha/api/v1/kpis/"


def _project(weekly_target, as_of: date, actual, **kwargs) -> Projection:
    """The projection with the whole month-to-date ``actual`` recorded on the as-of day."""
    return projection_compute(weekly_target=weekly_target, as_of_local=as_of, actual_by_day={as_of: actual}, **kwargs)


def test_first_day_of_a_31_day_month():
    # given a weekly objective of 70 and 12 leads on 1 March 2025 (N = 31, d = 1)
    # when the projection is computed that day
    result = _project(70, date(2025, 3, 1), 12)
    # then month target = 70 × 31 ÷ 7 = 310, projected = 12 × 31 ÷ 1 = 372,
    # needed = (310 − 12) ÷ 30 = 298 ÷ 30, ratio 372 ÷ 310 = 1.2: green
    assert (result.month_days, result.month_target, result.projected) == (31, 310.0, 372.0)
    assert result.needed_per_day == pytest.approx(298 / 30, rel=1e-12)
    assert result.ratio == pytest.approx(1.2, rel=1e-12)
    assert result.status == "green"


def test_first_day_with_nothing_yet_projects_zero():
    # given a weekly objective of 14 and nothing on 1 April 2025 (N = 30), though March was busy
    result = projection_compute(weekly_target=14, as_of_local=date(2025, 4, 1), actual_by_day={date(2025, 3, 31): 500})
    # then month target = 14 × 30 ÷ 7 = 60, projected 0, needed 60 ÷ 29, red
    assert result == Projection(
        month_days=30, month_target=60.0, projected=0.0, needed_per_day=60 / 29, ratio=0.0, status="red"
    )


@pytest.mark.parametrize(
    ("actual", "projected", "needed", "ratio", "status"),
    [
        # June 2025: N = 30, d = 15; weekly 56, so month target = 56 × 30 ÷ 7 = 240
        (100, 200.0, 140 / 15, 200 / 240, "red"),  # 100 × 30 ÷ 15 = 200; (240 − 100) ÷ 15
        (108, 216.0, 132 / 15, 0.9, "amber"),  # 216 ÷ 240 = 0.9 exactly; (240 − 108) ÷ 15 = 8.8
        (120, 240.0, 8.0, 1.0, "green"),  # on target: (240 − 120) ÷ 15 = 8
        (250, 500.0, 0.0, 500 / 240, "green"),  # already past the month target: nothing more needed
    ],
)
def test_mid_month(actual, projected, needed, ratio, status):
    result = _project(56, date(2025, 6, 15), actual)
    assert (result.month_days, result.month_target, result.projected) == (30, 240.0, projected)
    assert result.needed_per_day == pytest.approx(needed, rel=1e-12)
    assert result.ratio == pytest.approx(ratio, rel=1e-12)
    assert result.status == status


def test_the_daily_values_of_the_month_so_far_are_summed_like_pacing():
    # given days before the month, in it and after the as-of day
    by_day = {date(2025, 5, 31): 99, date(2025, 6, 2): 40, date(2025, 6, 9): None, date(2025, 6, 15): 60}
    by_day |= {date(2025, 6, 16): 99, date(2025, 7, 1): 99}
    # when the projection is computed as of 15 June 2025 for a weekly objective of 56
    result = projection_compute(weekly_target=56, as_of_local=date(2025, 6, 15), actual_by_day=by_day)
    # then actual = 40 + 60 = 100 as pacing counts it: projected 200, needed (240 − 100) ÷ 15
    assert pacing_compute(weekly_target=56, as_of_local=date(2025, 6, 15), actual_by_day=by_day).actual == 100
    assert result.projected == 200.0
    assert result.needed_per_day == pytest.approx(140 / 15, rel=1e-12)


def test_last_day_has_no_amount_per_day():
    # given 30 June 2025, the month's last day (N = d = 30), weekly 56: month target 240
    result = _project(56, date(2025, 6, 30), 230)
    # then projected = actual = 230, nothing is left to do per day, ratio 230 ÷ 240 ≈ 0.958: amber
    assert result == Projection(
        month_days=30, month_target=240.0, projected=230.0, needed_per_day=None, ratio=230 / 240, status="amber"
    )


@pytest.mark.parametrize(
    ("as_of", "actual", "month_target", "projected", "needed", "status"),
    [
        # February 2025 has 28 days: month target = 70 × 28 ÷ 7 = 280
        (date(2025, 2, 1), 5, 280.0, 140.0, 275 / 27, "red"),  # 5 × 28; (280 − 5) ÷ 27
        (date(2025, 2, 14), 130, 280.0, 260.0, 150 / 14, "amber"),  # 130 × 28 ÷ 14; 260 ÷ 280 ≈ 0.929
        (date(2025, 2, 28), 280, 280.0, 280.0, None, "green"),  # last day
        # February 2024 has 29 days: month target = 70 × 29 ÷ 7 = 290
        (date(2024, 2, 10), 100, 290.0, 290.0, 10.0, "green"),  # 100 × 29 ÷ 10; (290 − 100) ÷ 19 = 10
        (date(2024, 2, 28), 252, 290.0, 261.0, 38.0, "amber"),  # 252 × 29 ÷ 28 = 261 = 0.9 × 290; 38 ÷ 1
        (date(2024, 2, 29), 260, 290.0, 260.0, None, "red"),  # the leap day is the last: 260 ÷ 290 < 0.9
    ],
)
def test_february_of_28_and_29_days(as_of, actual, month_target, projected, needed, status):
    result = _project(70, as_of, actual)
    assert result.month_days == (28 if as_of.year == 2025 else 29)
    assert (result.month_target, result.projected, result.status) == (month_target, projected, status)
    assert result.needed_per_day == (None if needed is None else pytest.approx(needed, rel=1e-12))


def test_a_target_that_does_not_divide_evenly():
    # given a weekly objective of 50 in July 2025 (N = 31) and 60 by the 10th
    result = _project(50, date(2025, 7, 10), 60)
    # then month target = 1550 ÷ 7 ≈ 221.43, projected = 60 × 31 ÷ 10 = 186,
    # needed = (1550 ÷ 7 − 60) ÷ 21 = 1130 ÷ 147, ratio = 186 × 7 ÷ 1550 = 0.84: red
    assert result.month_target == pytest.approx(1550 / 7, rel=1e-12)
    assert result.projected == 186.0
    assert result.needed_per_day == pytest.approx(1130 / 147, rel=1e-12)
    assert result.ratio == pytest.approx(0.84, rel=1e-12)
    assert result.status == "red"


def test_a_target_of_zero_has_no_status():
    # given a weekly objective of 0 and 4 leads by 15 March 2025 (N = 31)
    result = _project(0, date(2025, 3, 15), 4)
    # then month target 0, projected 4 × 31 ÷ 15, nothing needed, and no ratio nor status (as pacing)
    assert result == Projection(
        month_days=31, month_target=0.0, projected=124 / 15, needed_per_day=0.0, ratio=None, status=None
    )


def test_no_target_projects_the_run_rate_only():
    result = _project(None, date(2025, 3, 15), 4)
    assert result == Projection(
        month_days=31, month_target=None, projected=124 / 15, needed_per_day=None, ratio=None, status=None
    )


@pytest.mark.parametrize(("actual", "amber_ratio", "status"), [(12, 0.8, "amber"), (11, 0.8, "red"), (14, 1, "red")])
def test_the_amber_threshold_is_the_clients(actual, amber_ratio, status):
    # given a weekly objective of 7 on 15 June 2025: month target 30, projected = actual × 30 ÷ 15
    result = _project(7, date(2025, 6, 15), actual, amber_ratio=amber_ratio)
    # then 24 ÷ 30 = 0.8 is amber at 0.8, 22 ÷ 30 red; with a threshold of 1, 28 ÷ 30 is red
    assert result.status == status


@pytest.mark.parametrize("as_of", [date(2025, 2, 1), date(2025, 2, 13), date(2024, 2, 29), date(2025, 7, 31)])
@pytest.mark.parametrize("actual", [0, 3, 17, 40, 61, 1000])
def test_the_projected_status_is_the_pacing_status(as_of, actual):
    # projected ÷ month target = (actual × N ÷ d) ÷ (T × N ÷ 7) = actual ÷ (T × d ÷ 7) = pacing
    given = {"weekly_target": 9, "as_of_local": as_of, "actual_by_day": {as_of: actual}}
    pacing, projection = pacing_compute(**given), projection_compute(**given)
    assert projection.ratio == pytest.approx(pacing.pacing, rel=1e-12)
    assert projection.status == pacing.status


# --- through the API -----------------------------------------------------------------------------


@pytest.fixture
def june(world, in_alpha):
    """Paid-search leads in June 2026 (30 days): 2 on the 1st, 12 on the 10th, 10 on the 20th, 6 on the 30th."""
    channel = builtin_channel("paid_search")
    for day, count in ((1, 2), (10, 12), (20, 10), (30, 6)):
        LeadFactory.create_batch(count, created_at=datetime(2026, 6, day, 9, tzinfo=PARIS), channel=channel)
    kpi_snapshot_refresh(full=True, as_of=datetime(2026, 7, 2, tzinfo=PARIS))
    return world


@pytest.mark.parametrize(
    ("day", "projected", "needed", "status"),
    [
        # weekly 7 → month target 7 × 30 ÷ 7 = 30
        ("2026-06-01", 60.0, 28 / 29, "green"),  # 2 × 30 ÷ 1; (30 − 2) ÷ 29
        ("2026-06-15", 28.0, 16 / 15, "amber"),  # 14 × 30 ÷ 15; (30 − 14) ÷ 15; 28 ÷ 30 ≈ 0.933
        ("2026-06-30", 30.0, None, "green"),  # last day: no amount per day
    ],
)
def test_the_pacing_api_gives_the_projection(http_as, june, day, projected, needed, status):
    Objective.objects.create(kpi="leads", period="week", dimension="channel", key="paid_search", target=7)
    [row] = http_as(june.viewer_alpha).get(f"{BASE}pacing/", {"date": day}).json()
    assert (row["month_days"], row["month_target"], row["projected"]) == (30, 30.0, projected)
    assert row["needed_per_day"] == (None if needed is None else pytest.approx(needed, rel=1e-12))
    assert row["projected_status"] == status


def test_a_month_with_no_weekly_objective_has_no_rows(http_as, june):
    # given only a monthly objective and a weekly one on a money KPI (better down): pacing is for counts
    Objective.objects.create(kpi="leads", period="month", target=30)
    Objective.objects.create(kpi="cost_per_lead", period="week", target=50)
    # when the pacing is read in June
    rows = http_as(june.viewer_alpha).get(f"{BASE}pacing/", {"date": "2026-06-15"}).json()
    # then there is no row to project
    assert rows == []


def test_the_projection_fields_are_documented(http_as, world):
    document = http_as(world.viewer_alpha).get("/c/alpha/api/v1/schema/", {"format": "json"}).json()
    properties = document["components"]["schemas"]["PacingOutput"]["properties"]
    for name in ("month_days", "month_target", "projected", "needed_per_day", "projected_status"):
        assert properties[name].get("description"), name
    assert properties["needed_per_day"]["nullable"] is True


# --- a KPI better down (a custom count KPI may be: fewer is better) -------------------------------


@pytest.mark.parametrize(
    ("actual", "projected", "status"),
    [
        # June 2025, d = 15, weekly 56: month target 240 is a ceiling; judged on 240 ÷ projected
        (100, 200.0, "green"),  # 240 ÷ 200 = 1.2
        (130, 260.0, "amber"),  # 240 ÷ 260 ≈ 0.923
        (135, 270.0, "red"),  # 240 ÷ 270 ≈ 0.889
        (0, 0.0, "green"),  # none is green, as a status of 0
    ],
)
def test_a_kpi_better_down_is_judged_on_the_inverse_and_needs_nothing_per_day(actual, projected, status):
    result = _project(56, date(2025, 6, 15), actual, better="down")
    pacing = pacing_compute(
        weekly_target=56, as_of_local=date(2025, 6, 15), actual_by_day={date(2025, 6, 15): actual}, better="down"
    )
    assert (result.projected, result.status, result.needed_per_day) == (projected, status, None)
    assert pacing.status == status  # the same verdict as the pacing
    assert result.standing is not None and (result.standing >= 1) == (status == "green")


def test_a_kpi_without_better_direction_has_no_status_and_a_bad_one_is_refused():
    assert _project(56, date(2025, 6, 15), 100, better="none").status is None
    with pytest.raises(ValueError, match="better"):
        _project(56, date(2025, 6, 15), 100, better="sideways")
    with pytest.raises(ValueError, match="better"):
        pacing_compute(weekly_target=7, as_of_local=date(2025, 6, 1), actual_by_day={}, better="sideways")


@pytest.mark.parametrize(
    ("day", "projected", "status"),
    [
        ("2026-06-01", 60.0, "red"),  # 2 × 30 ÷ 1 = 60 against a ceiling of 30: 30 ÷ 60 = 0.5
        ("2026-06-15", 28.0, "green"),  # 14 × 30 ÷ 15 = 28: 30 ÷ 28 > 1
    ],
)
def test_a_custom_count_kpi_better_down_is_projected_against_its_ceiling(http_as, june, day, projected, status):
    from kpis.custom.services import custom_kpi_save

    # given a custom count KPI where fewer is better (none of June's leads is an MQL: it equals leads)
    custom_kpi_save(key="unqualified", name="Leads non qualifiés", formula="leads - mqls", unit="count", better="down")
    Objective.objects.create(kpi="unqualified", period="week", target=7)  # month target 30
    kpi_snapshot_refresh(full=True, as_of=datetime(2026, 7, 2, tzinfo=PARIS))
    # when the pacing is read
    [row] = http_as(june.viewer_alpha).get(f"{BASE}pacing/", {"date": day}).json()
    # then it is judged on month target ÷ projected, and nothing is "needed" per day
    assert (row["kpi"], row["projected"], row["month_target"]) == ("unqualified", projected, 30.0)
    assert (row["projected_status"], row["status"], row["needed_per_day"]) == (status, status, None)
