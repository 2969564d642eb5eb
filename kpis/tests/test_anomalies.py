from decimal import Decimal

import pytest

from kpis.anomalies import Anomaly, anomaly_check

# Sorted: 9 10 10 11 11 12 12 13 → median (11 + 11) ÷ 2 = 11.
# |x − 11|: 1 1 0 2 2 1 1 0 → sorted 0 0 1 1 1 1 2 2 → MAD (1 + 1) ÷ 2 = 1.
# σ = 1.4826 × 1; 3σ = 4.4478 → baseline [6.5522, 15.4478].
EIGHT = [10, 12, 11, 13, 9, 10, 12, 11]


@pytest.mark.parametrize(
    ("value", "direction", "robust_z"),
    [
        (16, "up", 5 / 1.4826),
        (Decimal("15.4479"), "up", 4.4479 / 1.4826),  # just above the upper bound
        (6, "down", -5 / 1.4826),
        (Decimal("6.5521"), "down", -4.4479 / 1.4826),  # just below the lower bound
        (100, "up", 89 / 1.4826),
        (-3, "down", -14 / 1.4826),
    ],
)
def test_value_outside_the_baseline_is_flagged(value, direction, robust_z):
    # given eight earlier periods with median 11 and MAD 1
    # when a value outside 11 ± 3 × 1.4826 is checked
    anomaly = anomaly_check(value=value, history=EIGHT)
    # then it is flagged with its direction, its robust z-score and the baseline
    assert anomaly is not None
    assert anomaly.direction == direction
    assert anomaly.median == 11
    assert anomaly.mad == 1
    assert anomaly.robust_z == pytest.approx(robust_z)
    assert anomaly.baseline_low == pytest.approx(6.5522)
    assert anomaly.baseline_high == pytest.approx(15.4478)


@pytest.mark.parametrize(
    "value",
    [
        11,  # the median
        15,
        Decimal("15.4478"),  # exactly on the upper bound: not outside
        Decimal("6.5522"),  # exactly on the lower bound
        15.4478,  # the same bound given as a float
        7,
        Decimal("15.4477"),
    ],
)
def test_value_inside_or_on_the_baseline_is_not_flagged(value):
    # given eight earlier periods with baseline [6.5522, 15.4478]
    # when a value within it is checked
    # then there is no flag
    assert anomaly_check(value=value, history=EIGHT) is None


def test_anomaly_names_its_baseline():
    # given eight earlier periods and a value of 16
    # when it is checked
    anomaly = anomaly_check(value=16, history=EIGHT)
    # then the flag carries the whole baseline
    assert anomaly == Anomaly(
        direction="up",
        median=11.0,
        mad=1.0,
        robust_z=pytest.approx(3.372454),
        baseline_low=pytest.approx(6.5522),
        baseline_high=pytest.approx(15.4478),
    )


def test_only_the_previous_eight_periods_form_the_baseline():
    # given huge values long ago followed by the eight usual periods
    history = [1000, 1000, 1000, 1000, *EIGHT]
    # when 16 is checked
    anomaly = anomaly_check(value=16, history=history)
    # then the old periods are ignored: median 11, MAD 1, still flagged up
    assert anomaly is not None
    assert (anomaly.direction, anomaly.median, anomaly.mad) == ("up", 11, 1)


def test_history_is_read_oldest_to_newest():
    # given eight periods of 10-ish, then eight periods of 100-ish (the newest)
    recent = [100, 102, 101, 103, 99, 100, 102, 101]  # median 101, MAD 1
    history = EIGHT + recent
    # when 104 is checked (it would be an outlier against the older periods, not the recent ones)
    # then it is not flagged: 104 lies in 101 ± 4.4478
    assert anomaly_check(value=104, history=history) is None
    # and 11 is flagged down against the recent baseline
    anomaly = anomaly_check(value=11, history=history)
    assert anomaly is not None
    assert (anomaly.direction, anomaly.median) == ("down", 101)


def test_exactly_six_earlier_periods_suffice():
    # given six periods: sorted 9 10 10 11 12 13 → median 10.5;
    # |x − 10.5|: 0.5 1.5 0.5 2.5 1.5 0.5 → sorted 0.5 0.5 0.5 1.5 1.5 2.5 → MAD (0.5 + 1.5) ÷ 2 = 1
    history = [10, 12, 11, 13, 9, 10]
    # when 15 is checked (upper bound 10.5 + 4.4478 = 14.9478)
    anomaly = anomaly_check(value=15, history=history)
    # then it is flagged
    assert anomaly is not None
    assert anomaly.direction == "up"
    assert anomaly.median == 10.5
    assert anomaly.mad == 1
    assert anomaly.baseline_high == pytest.approx(14.9478)
    assert anomaly.robust_z == pytest.approx(4.5 / 1.4826)


def test_odd_number_of_periods_takes_the_middle_value():
    # given seven periods 1..7: median 4; |x − 4|: 3 2 1 0 1 2 3 → sorted 0 1 1 2 2 3 3 → MAD 2
    # σ = 2.9652, 3σ = 8.8956 → baseline [−4.8956, 12.8956]
    history = [7, 1, 6, 2, 5, 3, 4]
    # when 13 and 12.8956 are checked
    anomaly = anomaly_check(value=13, history=history)
    # then 13 is flagged and the bound itself is not
    assert anomaly is not None
    assert (anomaly.median, anomaly.mad) == (4, 2)
    assert anomaly.robust_z == pytest.approx(9 / 2.9652)
    assert anomaly.baseline_low == pytest.approx(-4.8956)
    assert anomaly_check(value=Decimal("12.8956"), history=history) is None


@pytest.mark.parametrize(
    "history",
    [
        [],
        [10],
        [10, 12, 11, 13, 9],  # five periods
        [10, 12, 11, None, 13, 9],  # six periods, one null: five values
        [10, 12, 11, 13, 9, 10, 11, None, None, None],  # seven values, but five in the last eight
        [None] * 8,
    ],
)
def test_fewer_than_six_valued_periods_in_the_window_give_no_flag(history):
    # given too few earlier values among the previous eight periods
    # when an extreme value is checked
    # then there is no flag
    assert anomaly_check(value=1_000_000, history=history) is None


def test_null_periods_are_skipped_from_the_baseline():
    # given the previous eight periods, two of them null: 10 12 11 13 9 10 remain (median 10.5, MAD 1)
    history = [10, 12, None, 11, 13, None, 9, 10]
    # when 15 is checked
    anomaly = anomaly_check(value=15, history=history)
    # then the six values form the baseline and 15 is above 14.9478
    assert anomaly is not None
    assert (anomaly.direction, anomaly.median, anomaly.mad) == ("up", 10.5, 1)


@pytest.mark.parametrize(
    "history",
    [
        [10] * 8,  # a flat series
        [5, 5, 5, 5, 5, 6, 7, 100],  # median 5; deviations 0 0 0 0 0 1 2 95 → MAD 0
        [0] * 6,
    ],
)
def test_zero_mad_gives_no_flag(history):
    # given a baseline whose MAD is 0
    # when a very different value is checked
    # then there is no flag
    assert anomaly_check(value=1000, history=history) is None


def test_null_value_gives_no_flag():
    # given a usual history and a null value (rate with a zero denominator)
    # when it is checked
    # then there is no flag
    assert anomaly_check(value=None, history=EIGHT) is None


def test_rates_as_floats_are_checked_exactly():
    # given rates: sorted 0.09 0.1 0.1 0.11 0.11 0.12 0.12 0.13 → median 0.11, MAD 0.01
    # 3σ = 3 × 1.4826 × 0.01 = 0.044478 → baseline [0.065522, 0.154478]
    history = [0.1, 0.12, 0.11, 0.13, 0.09, 0.1, 0.12, 0.11]
    # when the upper bound and a value just above it are checked
    # then the bound is not flagged and the value above is
    assert anomaly_check(value=0.154478, history=history) is None
    anomaly = anomaly_check(value=0.154479, history=history)
    assert anomaly is not None
    assert anomaly.median == pytest.approx(0.11)
    assert anomaly.mad == pytest.approx(0.01)
    assert anomaly.baseline_low == pytest.approx(0.065522)
