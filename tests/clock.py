"""Timing helpers for tests of per-minute rate windows."""

import time

from django.utils import timezone


def away_from_a_minute_boundary(seconds_needed: int = 8) -> None:
    """Rate windows are calendar minutes: start a counting test where it cannot straddle two."""
    second = timezone.now().second
    if second > 59 - seconds_needed:
        time.sleep(60.5 - second)
