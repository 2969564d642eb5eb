"""Anomaly flags of many series at once (docs/kpis.md §6).

Each row of ``values`` is a run of consecutive periods of one KPI series (NaN: no value; a missing
count is 0, a missing rate NaN, as everywhere else), each column a period; the 8 columns before a
cell are its baseline.

NumPy decides every position at once (median and MAD of the previous 8 periods, in floats); a
robust z-score within 1e-6 of the threshold, where float rounding could tip it, is decided by
``kpis.anomalies.anomaly_check`` in exact arithmetic, so flags are exactly the pure rule's,
thresholds included (``kpis/tests/test_anomaly_scan.py`` checks both agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kpis.anomalies import MAD_SCALE, MIN_PERIODS, THRESHOLD, WINDOW, anomaly_check

SCREEN_MARGIN = 1e-6  # robust z-scores this close to the threshold are decided exactly


def _nan_median(rows: np.ndarray) -> np.ndarray:
    """The median of each row, ignoring NaN (every row has at least one value)."""
    ordered = np.sort(rows, axis=1)  # NaN sorts last
    counts = (~np.isnan(rows)).sum(axis=1)
    low = np.take_along_axis(ordered, ((counts - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, (counts // 2)[:, None], axis=1)[:, 0]
    return (low + high) / 2


@dataclass(frozen=True)
class Flag:
    row: int
    column: int
    direction: str
    median: float
    low: float
    high: float


def flags_find(values: np.ndarray, evaluate: np.ndarray) -> list[Flag]:
    """The anomalies of the positions ``evaluate`` marks in ``values`` (NaN: no value), each against
    the 8 columns before it. Floats decide the clear cases; a robust z-score within 1e-6 of the
    threshold is decided by the exact rule."""
    rows, width = values.shape
    padded = np.concatenate([np.full((rows, WINDOW), np.nan), values], axis=1)
    history = sliding_window_view(padded, WINDOW, axis=1)[:, :width]  # history[r, c] = values[r, c-8:c]
    counts = (~np.isnan(history)).sum(axis=2)
    r, c = np.nonzero(evaluate & ~np.isnan(values) & (counts >= MIN_PERIODS))
    if not len(r):
        return []
    windows = history[r, c]
    median = _nan_median(windows)
    mad = _nan_median(np.abs(windows - median[:, None]))
    sigma = float(MAD_SCALE) * mad
    current = values[r, c]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(current - median) / sigma
    near = (mad > 0) & (np.abs(z - THRESHOLD) <= SCREEN_MARGIN)
    clear = (mad > 0) & (z > THRESHOLD + SCREEN_MARGIN)
    flags = [
        Flag(
            int(r[i]),
            int(c[i]),
            "up" if current[i] > median[i] else "down",
            float(median[i]),
            float(median[i] - THRESHOLD * sigma[i]),
            float(median[i] + THRESHOLD * sigma[i]),
        )
        for i in np.nonzero(clear)[0]
    ]
    for i in np.nonzero(near)[0]:
        row, column = int(r[i]), int(c[i])
        history_values = [None if np.isnan(v) else float(v) for v in values[row, max(0, column - WINDOW) : column]]
        exact = anomaly_check(value=float(values[row, column]), history=history_values)
        if exact is not None:
            flags.append(Flag(row, column, exact.direction, exact.median, exact.baseline_low, exact.baseline_high))
    return flags
