from decimal import Decimal
from fractions import Fraction

import pytest

from kpis.registry import Better
from kpis.status import exact, kpi_status


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (60, 50, "green"),  # above target
        (50, 50, "green"),  # value == target
        (45, 50, "amber"),  # value == 0.9 × 50 exactly
        (46, 50, "amber"),  # between 0.9 × target and target
        (44, 50, "red"),  # just below 45
        (Decimal("44.999"), 50, "red"),  # just below 0.9 × target
        (Decimal("49.999"), 50, "amber"),  # just below target
        (0, 50, "red"),
        (0, 0, "green"),  # target 0: any value ≥ 0 meets it
        (9, 10, "amber"),
        (8.999999, 10, "red"),
    ],
)
def test_up_status_against_the_target(value, target, expected):
    # given a KPI whose better direction is up
    # when its value is compared with the target
    status = kpi_status(better="up", value=value, target=target)
    # then green at or above target, amber from 0.9 × target, else red
    assert status == expected


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        # 0.9 × 0.1 is 0.09000000000000001 in binary floats: a naive float test would say red
        (0.09, 0.1, "amber"),
        (0.18, 0.2, "amber"),
        (0.72, 0.8, "amber"),
        (0.99, 1.1, "amber"),
        (0.0899999, 0.1, "red"),
        (0.1, 0.1, "green"),
        (Decimal("0.09"), Decimal("0.1"), "amber"),
        (Decimal("0.0899"), Decimal("0.1"), "red"),
        (Decimal("0.09"), 0.1, "amber"),  # mixed Decimal and float
        (Fraction(9, 100), 0.1, "amber"),
    ],
)
def test_up_status_is_exact_at_the_amber_boundary_for_floats_and_decimals(value, target, expected):
    # given a rate target and a value exactly at (or just under) 90 % of it
    # when the status is computed
    status = kpi_status(better=Better.UP, value=value, target=target)
    # then the decimal boundary holds, whatever the binary representation
    assert status == expected


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (40, 50, "green"),  # cheaper than target: 50 ÷ 40 = 1.25
        (50, 50, "green"),  # target ÷ value = 1
        (Decimal("55.55"), 50, "amber"),  # 50 ÷ 55.55 ≈ 0.90009 ≥ 0.9
        (Decimal("55.56"), 50, "red"),  # 50 ÷ 55.56 ≈ 0.89993 < 0.9
        (Decimal("50.01"), 50, "amber"),  # just above target
        (100, 90, "amber"),  # 90 ÷ 100 = 0.9 exactly
        (Decimal("100.01"), 90, "red"),  # just below 0.9
        (1.0, 0.9, "amber"),  # float boundary: 0.9 ÷ 1.0 = 0.9
        (0, 50, "green"),  # value 0 is green
        (0.0, 50, "green"),
        (Decimal("0.00"), 50, "green"),
        (0, 0, "green"),
        (10, 0, "red"),  # target 0: 0 ÷ 10 = 0
    ],
)
def test_down_status_compares_target_over_value(value, target, expected):
    # given a KPI whose better direction is down (cost per lead)
    # when its value is compared with the target
    status = kpi_status(better="down", value=value, target=target)
    # then target ÷ value is judged like an up value against 1
    assert status == expected


@pytest.mark.parametrize(
    ("better", "value", "target"),
    [
        ("up", 10, None),  # no target
        ("up", None, 10),  # null value (a rate with a zero denominator)
        ("down", None, 10),
        ("down", 0, None),
        ("none", 10, 10),  # spend, shares: no status
        (Better.NONE, 0, 100),
        ("up", None, None),
    ],
)
def test_no_status_without_target_value_or_direction(better, value, target):
    # given a missing target, a null value or a KPI with no better direction
    # when the status is computed
    status = kpi_status(better=better, value=value, target=target)
    # then there is none
    assert status is None


@pytest.mark.parametrize(
    ("better", "value", "target", "amber_ratio", "expected"),
    [
        ("up", 80, 100, 0.8, "amber"),  # 80 == 0.8 × 100
        ("up", 79, 100, 0.8, "red"),
        ("up", 89, 100, 0.8, "amber"),  # red at 0.9, amber at 0.8
        ("up", 99, 100, 1, "red"),  # ratio 1: no amber band
        ("up", 100, 100, 1, "green"),
        ("up", 1, 100, 0, "amber"),  # ratio 0: every non-negative value is at least amber
        ("up", 95, 100, Decimal("0.95"), "amber"),
        ("down", 125, 100, 0.8, "amber"),  # 100 ÷ 125 = 0.8
        ("down", Decimal("125.01"), 100, 0.8, "red"),
    ],
)
def test_amber_ratio_is_a_setting(better, value, target, amber_ratio, expected):
    # given a tenant with its own amber ratio
    # when the status is computed
    status = kpi_status(better=better, value=value, target=target, amber_ratio=amber_ratio)
    # then the amber band starts at that ratio
    assert status == expected


@pytest.mark.parametrize("amber_ratio", [-0.1, 1.1, 2])
def test_amber_ratio_outside_zero_one_is_refused(amber_ratio):
    # given an amber ratio that cannot be a fraction of the target
    # when a status is computed
    # then the call is refused
    with pytest.raises(ValueError, match="amber_ratio"):
        kpi_status(better="up", value=1, target=1, amber_ratio=amber_ratio)


@pytest.mark.parametrize("better", ["sideways", "", "UP"])
def test_unknown_direction_is_refused(better):
    # given a direction that is not up, down or none
    # when a status is computed
    # then the call is refused
    with pytest.raises(ValueError, match="better"):
        kpi_status(better=better, value=1, target=1)


def test_down_status_of_a_negative_value_is_green():
    # given a down KPI with a value below 0 (better than 0, which is green)
    # when the status is computed
    status = kpi_status(better="down", value=-5, target=10)
    # then it is green
    assert status == "green"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (3, Fraction(3)),
        (0.1, Fraction(1, 10)),
        (0.09, Fraction(9, 100)),
        (Decimal("12.345"), Fraction(12345, 1000)),
        (Fraction(2, 7), Fraction(2, 7)),
        (-0.5, Fraction(-1, 2)),
    ],
)
def test_exact_reads_numbers_as_their_decimal_value(number, expected):
    # given a number of any supported type
    # when it is made exact
    # then it is the decimal it prints as
    assert exact(number) == expected


@pytest.mark.parametrize("number", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_exact_refuses_non_finite_numbers(number):
    with pytest.raises(ValueError, match="finite"):
        exact(number)


@pytest.mark.parametrize("number", ["1", True, [1]])
def test_exact_refuses_non_numbers(number):
    with pytest.raises(TypeError):
        exact(number)


def test_every_registry_direction_is_accepted():
    # given every better direction of the registry
    # when each is used for a status
    # then up and down give a status and none gives none
    results = {b.value: kpi_status(better=b, value=10, target=10) for b in Better}
    assert results == {"up": "green", "down": "green", "none": None}
