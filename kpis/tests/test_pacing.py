from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from decimal import Decimal

import pytest

from kpis.pacing import Pacing, pacing_compute


def _daily(first: date, last: date, per_day) -> dict:
    """per_day on every date from first to last inclusive."""
    return {first + timedelta(days=n): per_day for n in range((last - first).days + 1)}


@pytest.mark.parametrize(
    ("as_of", "days"),
    [
        (date(2025, 3, 1), 1),  # the 1st
        (date(2025, 3, 15), 15),  # the 15th
        (date(2025, 2, 28), 28),  # last day of a 28-day month
        (date(2024, 2, 29), 29),  # last day of a leap February
        (date(2025, 4, 30), 30),  # last day of a 30-day month
        (date(2025, 1, 31), 31),  # last day of a 31-day month
        (date(2024, 12, 31), 31),  # last day of the year
        (date(2024, 2, 28), 28),  # the day before a leap day
    ],
)
def test_on_track_month_is_green(as_of, days):
    # given a weekly objective of 70 (10 a day) and exactly 10 leads on every day of the month so far
    actual_by_day = _daily(as_of.replace(day=1), as_of, 10)
    # when the pacing is computed as of that day
    result = pacing_compute(weekly_target=70, as_of_local=as_of, actual_by_day=actual_by_day)
    # then d counts the days from the 1st inclusive, expected = 70 × d ÷ 7 = 10 d, and pacing is 1
    assert result == Pacing(expected=10.0 * days, actual=10.0 * days, pacing=1.0, status="green", days=days)


@pytest.mark.parametrize(
    ("as_of", "actual", "expected", "pacing", "status"),
    [
        # the 1st: expected = 70 × 1 ÷ 7 = 10
        (date(2025, 6, 1), 12, 10.0, 1.2, "green"),
        (date(2025, 6, 1), 9, 10.0, 0.9, "amber"),  # exactly 0.9
        (date(2025, 6, 1), 8, 10.0, 0.8, "red"),
        (date(2025, 6, 1), 0, 10.0, 0.0, "red"),
        # the 15th: expected = 70 × 15 ÷ 7 = 150
        (date(2025, 6, 15), 150, 150.0, 1.0, "green"),
        (date(2025, 6, 15), 149, 150.0, 149 / 150, "amber"),
        (date(2025, 6, 15), 135, 150.0, 0.9, "amber"),  # 0.9 × 150 = 135
        (date(2025, 6, 15), 134, 150.0, 134 / 150, "red"),
        # last day of a 30-day month: expected = 70 × 30 ÷ 7 = 300
        (date(2025, 6, 30), 270, 300.0, 0.9, "amber"),
        (date(2025, 6, 30), 269, 300.0, 269 / 300, "red"),
        # leap February, 29th: expected = 70 × 29 ÷ 7 = 290
        (date(2024, 2, 29), 261, 290.0, 0.9, "amber"),  # 0.9 × 290 = 261
        (date(2024, 2, 29), 260, 290.0, 260 / 290, "red"),
        (date(2024, 2, 29), 290, 290.0, 1.0, "green"),
        # 28-day February, last day: expected = 70 × 28 ÷ 7 = 280
        (date(2025, 2, 28), 252, 280.0, 0.9, "amber"),
        (date(2025, 2, 28), 251, 280.0, 251 / 280, "red"),
        # 31-day month, last day: expected = 70 × 31 ÷ 7 = 310
        (date(2025, 7, 31), 279, 310.0, 0.9, "amber"),
        (date(2025, 7, 31), 278, 310.0, 278 / 310, "red"),
    ],
)
def test_status_follows_pacing_thresholds(as_of, actual, expected, pacing, status):
    # given a weekly objective of 70 and the month-to-date actual recorded on the as-of day
    # when the pacing is computed
    result = pacing_compute(weekly_target=70, as_of_local=as_of, actual_by_day={as_of: actual})
    # then pacing = actual ÷ expected and the status is green from 1, amber from 0.9
    assert result.expected == pytest.approx(expected)
    assert result.actual == actual
    assert result.pacing == pytest.approx(pacing)
    assert result.status == status


@pytest.mark.parametrize(
    ("actual", "pacing", "status"),
    [
        # weekly target 50 on the 15th: expected = 50 × 15 ÷ 7 = 750 / 7 ≈ 107.142857
        (108, 108 * 7 / 750, "green"),  # 756 / 750 = 1.008
        (107, 107 * 7 / 750, "amber"),  # 749 / 750 ≈ 0.99867
        (97, 97 * 7 / 750, "amber"),  # 679 / 750 ≈ 0.90533
        (96, 96 * 7 / 750, "red"),  # 672 / 750 = 0.896
    ],
)
def test_expected_need_not_be_whole(actual, pacing, status):
    # given a weekly objective of 50 and as of the 15th
    as_of = date(2025, 5, 15)
    # when the pacing is computed
    result = pacing_compute(weekly_target=50, as_of_local=as_of, actual_by_day={date(2025, 5, 3): actual})
    # then expected is 750 ÷ 7 and the status is judged on the exact ratio
    assert result.expected == pytest.approx(750 / 7)
    assert result.pacing == pytest.approx(pacing)
    assert result.status == status
    assert result.days == 15


def test_days_outside_the_month_to_date_window_are_ignored():
    # given leads on the last day of the previous month, in the window, after the as-of day
    # and in the next month, around a leap day
    actual_by_day = {
        date(2024, 1, 31): 1000,  # previous month
        date(2024, 2, 1): 5,  # first day: counted
        date(2024, 2, 10): 7,
        date(2024, 2, 20): 3,  # as-of day: counted
        date(2024, 2, 21): 1000,  # after as-of
        date(2024, 2, 29): 1000,  # leap day, after as-of
        date(2024, 3, 1): 1000,  # next month
        date(2023, 2, 10): 1000,  # same day, previous year
    }
    # when the pacing is computed as of 20 February 2024 for a weekly objective of 7
    result = pacing_compute(weekly_target=7, as_of_local=date(2024, 2, 20), actual_by_day=actual_by_day)
    # then actual = 5 + 7 + 3 = 15 over d = 20 days, expected = 7 × 20 ÷ 7 = 20, pacing 0.75
    assert result == Pacing(expected=20.0, actual=15.0, pacing=0.75, status="red", days=20)


def test_leap_day_is_counted_on_the_last_day_of_a_leap_february():
    # given 1 lead a day from 1 to 29 February 2024 and some on 1 March
    actual_by_day = _daily(date(2024, 2, 1), date(2024, 2, 29), 1) | {date(2024, 3, 1): 50}
    # when the pacing is computed as of the leap day for a weekly objective of 7
    result = pacing_compute(weekly_target=7, as_of_local=date(2024, 2, 29), actual_by_day=actual_by_day)
    # then the 29 days count: actual 29, expected 7 × 29 ÷ 7 = 29
    assert result == Pacing(expected=29.0, actual=29.0, pacing=1.0, status="green", days=29)


def test_first_of_the_month_ignores_the_previous_month():
    # given a busy previous month and nothing yet on 1 March 2024 (after a leap February)
    actual_by_day = _daily(date(2024, 2, 1), date(2024, 2, 29), 100)
    # when the pacing is computed on 1 March for a weekly objective of 14
    result = pacing_compute(weekly_target=14, as_of_local=date(2024, 3, 1), actual_by_day=actual_by_day)
    # then d = 1, expected = 14 ÷ 7 = 2, actual 0, red
    assert result == Pacing(expected=2.0, actual=0.0, pacing=0.0, status="red", days=1)


def test_empty_and_null_days_count_zero():
    # given a day with a null value and another with 9
    actual_by_day = {date(2025, 9, 2): None, date(2025, 9, 3): 9}
    # when the pacing is computed on the 10th for a weekly objective of 7 (expected 10)
    result = pacing_compute(weekly_target=7, as_of_local=date(2025, 9, 10), actual_by_day=actual_by_day)
    # then the null day adds nothing: pacing 9 ÷ 10 = 0.9, amber
    assert result == Pacing(expected=10.0, actual=9.0, pacing=0.9, status="amber", days=10)


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ([0.1] * 9, "amber"),  # 9 × 0.1 = 0.9 exactly (a float sum would give 0.8999999999999999)
        ([0.1] * 8 + [0.0999], "red"),
        ([Decimal("0.45"), Decimal("0.45")], "amber"),
        ([0.3, 0.3, 0.3, 0.1], "green"),  # 1.0 exactly
    ],
)
def test_fractional_actuals_are_summed_exactly(values, status):
    # given fractional daily values and a weekly objective of 0.7, so expected = 0.1 × d = 1 on the 10th
    as_of = date(2025, 10, 10)
    actual_by_day = {date(2025, 10, n + 1): v for n, v in enumerate(values)}
    # when the pacing is computed
    result = pacing_compute(weekly_target=0.7, as_of_local=as_of, actual_by_day=actual_by_day)
    # then the boundary holds on the exact sum
    assert result.expected == pytest.approx(1.0)
    assert result.status == status


def test_zero_weekly_target_has_no_pacing():
    # given a weekly objective of 0 and some leads
    # when the pacing is computed
    result = pacing_compute(weekly_target=0, as_of_local=date(2025, 3, 15), actual_by_day={date(2025, 3, 2): 4})
    # then expected is 0, so there is no pacing and no status
    assert result == Pacing(expected=0.0, actual=4.0, pacing=None, status=None, days=15)


def test_no_weekly_target_has_no_pacing():
    # given no objective
    # when the pacing is computed
    result = pacing_compute(weekly_target=None, as_of_local=date(2025, 3, 3), actual_by_day={date(2025, 3, 2): 4})
    # then there is neither expected value, pacing nor status
    assert result == Pacing(expected=None, actual=4.0, pacing=None, status=None, days=3)


@pytest.mark.parametrize(
    ("actual", "amber_ratio", "status"),
    [
        (8, 0.8, "amber"),  # 8 ÷ 10 = 0.8 exactly
        (7, 0.8, "red"),
        (9, 1, "red"),  # ratio 1: no amber band
        (10, 1, "green"),
    ],
)
def test_amber_ratio_is_a_setting(actual, amber_ratio, status):
    # given a weekly objective of 7 on the 10th (expected 10) and the tenant's amber ratio
    # when the pacing is computed
    result = pacing_compute(
        weekly_target=7,
        as_of_local=date(2025, 11, 10),
        actual_by_day={date(2025, 11, 10): actual},
        amber_ratio=amber_ratio,
    )
    # then amber starts at that ratio
    assert result.status == status


def test_amber_ratio_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="amber_ratio"):
        pacing_compute(weekly_target=7, as_of_local=date(2025, 1, 1), actual_by_day={}, amber_ratio=1.5)


def test_pacing_is_frozen():
    # given a computed pacing
    result = pacing_compute(weekly_target=7, as_of_local=date(2025, 1, 1), actual_by_day={})
    # when a field is reassigned
    # then it is refused
    with pytest.raises(FrozenInstanceError):
        result.status = "green"
