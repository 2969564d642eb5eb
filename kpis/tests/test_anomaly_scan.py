"""The vectorised anomaly scan (kpis.anomaly_scan) flags exactly what the pure rule of
kpis.anomalies flags, series by series and position by position, thresholds included."""

import random

import numpy as np
import pytest

from kpis.anomalies import anomaly_check
from kpis.anomaly_scan import flags_find


def pure_flags(values: np.ndarray, evaluate: np.ndarray) -> dict:
    found = {}
    for r in range(values.shape[0]):
        for c in range(values.shape[1]):
            if not evaluate[r, c] or np.isnan(values[r, c]):
                continue
            history = [None if np.isnan(v) else float(v) for v in values[r, max(0, c - 8) : c]]
            anomaly = anomaly_check(value=float(values[r, c]), history=history)
            if anomaly is not None:
                found[(r, c)] = anomaly
    return found


@pytest.mark.parametrize("seed", range(6))
def test_the_scan_agrees_with_the_pure_rule_on_random_series(seed):
    # given series of counts and of rates with gaps, steps and spikes
    rng = random.Random(seed)
    rows, width = 40, 60
    values = np.array(
        [
            [float(rng.choice([0, 1, 2, 3, 5, 8, 13, 40, 100])) if rng.random() > 0.1 else np.nan for _ in range(width)]
            for _ in range(rows)
        ]
    )
    values[::3] = np.round(values[::3] / 100, 2)  # some rows look like rates
    evaluate = np.array([[rng.random() > 0.2 for _ in range(width)] for _ in range(rows)])
    # when both decide
    scanned = {(f.row, f.column): f for f in flags_find(values, evaluate)}
    pure = pure_flags(values, evaluate)
    # then they flag the same positions, in the same direction, with the same baseline
    assert scanned.keys() == pure.keys()
    assert pure, "the data should contain anomalies"
    for position, anomaly in pure.items():
        flag = scanned[position]
        assert flag.direction == anomaly.direction
        assert flag.median == pytest.approx(anomaly.median)
        assert (flag.low, flag.high) == pytest.approx((anomaly.baseline_low, anomaly.baseline_high))


def test_a_value_exactly_on_the_bound_is_decided_exactly():
    # median 11, MAD 1: the upper bound is 11 + 3 × 1.4826 = 15.4478 exactly
    history = [10, 12, 11, 13, 9, 10, 12, 11]
    values = np.array([[*history, 15.4478, np.nan], [*history, 15.4479, np.nan]], dtype=float)
    evaluate = np.zeros(values.shape, dtype=bool)
    evaluate[:, 8] = True
    flags = flags_find(values, evaluate)
    assert [(f.row, f.column, f.direction) for f in flags] == [(1, 8, "up")]


def test_no_flag_without_six_values_among_the_last_eight_or_with_a_zero_mad():
    few = [np.nan, np.nan, np.nan, 1, 2, 3, 4, 5, 1000]  # five values before the last
    flat = [7, 7, 7, 7, 7, 8, 9, 7, 1000]  # MAD 0
    values = np.array([few, flat], dtype=float)
    evaluate = np.zeros(values.shape, dtype=bool)
    evaluate[:, 8] = True
    assert flags_find(values, evaluate) == []
