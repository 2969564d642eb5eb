"""Anomalies of a KPI series (docs/kpis.md §6). Pure rules: no database, no models.

A value is flagged anomalous when at least 6 earlier periods exist and it lies outside
median ± 3 × 1.4826 × MAD of the previous 8 periods (robust z-score > 3); when the MAD is 0
there is no flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from kpis.status import exact

WINDOW = 8  # the previous 8 periods form the baseline
MIN_PERIODS = 6  # at least 6 of them must carry a value
MAD_SCALE = Fraction("1.4826")  # makes the MAD a consistent estimator of σ for normal data
THRESHOLD = 3  # robust z-score beyond which a value is anomalous


@dataclass(frozen=True)
class Anomaly:
    direction: str  # "up" (above the baseline) or "down" (below it)
    median: float
    mad: float
    robust_z: float  # (value − median) ÷ (1.4826 × MAD); signed
    baseline_low: float  # median − 3 × 1.4826 × MAD
    baseline_high: float  # median + 3 × 1.4826 × MAD


def _median(values: list[Fraction]) -> Fraction:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def anomaly_check(*, value, history: list) -> Anomaly | None:
    """The anomaly of ``value`` against ``history``, or ``None`` when it is not anomalous.

    ``history`` holds the values of the earlier periods, oldest → newest, one entry per
    period. The baseline is the last 8 entries (the previous 8 periods); null entries among
    them (a rate with a zero denominator) are skipped and do **not** count toward the minimum:
    at least 6 of those 8 periods must carry a value, else there is no flag. Periods older than
    the last 8 never count, even to reach 6. A null ``value`` or a MAD of 0 gives no flag; a
    value exactly on a baseline bound is not outside it. The arithmetic is exact (rationals);
    the numbers are returned as floats.
    """
    if value is None:
        return None
    baseline = [exact(past) for past in history[-WINDOW:] if past is not None]
    if len(baseline) < MIN_PERIODS:
        return None
    median = _median(baseline)
    mad = _median([abs(past - median) for past in baseline])
    if mad == 0:
        return None
    sigma = MAD_SCALE * mad
    low, high = median - THRESHOLD * sigma, median + THRESHOLD * sigma
    current = exact(value)
    if low <= current <= high:
        return None
    return Anomaly(
        direction="up" if current > high else "down",
        median=float(median),
        mad=float(mad),
        robust_z=float((current - median) / sigma),
        baseline_low=float(low),
        baseline_high=float(high),
    )
