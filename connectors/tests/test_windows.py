"""The days a sync reads and when a source runs next (connectors/windows.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.windows import (
    CHUNK_DAYS,
    JITTER_SECONDS,
    backfill_first_day,
    chunks,
    incremental_window,
    jitter,
    run_chunks,
    slot_after,
    yesterday_in,
)

PARIS = ZoneInfo("Europe/Paris")


def test_the_backfill_reads_13_whole_months_to_yesterday_in_chunks_of_at_most_31_days():
    plan = run_chunks(backfill=True, first_day=None, last_day=None, yesterday=date(2026, 12, 2))
    assert plan[0].start == date(2025, 11, 1)
    assert plan[-1].end == date(2026, 12, 2)
    assert all(len(chunk.days) <= CHUNK_DAYS for chunk in plan)
    # consecutive, no day twice or missing
    for before, after in zip(plan, plan[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert sum(len(chunk.days) for chunk in plan) == (date(2026, 12, 2) - date(2025, 11, 1)).days + 1


def test_the_first_day_is_the_first_of_the_month_13_months_back_across_a_year():
    assert backfill_first_day(date(2026, 1, 31)) == date(2024, 12, 1)
    assert backfill_first_day(date(2026, 2, 1)) == date(2025, 1, 1)


def test_a_crashed_backfill_resumes_after_its_last_committed_chunk():
    plan = run_chunks(
        backfill=True, first_day=date(2025, 11, 1), last_day=date(2026, 1, 31), yesterday=date(2026, 12, 2)
    )
    assert plan[0].start == date(2026, 2, 1)


def test_the_incremental_re_reads_the_last_7_complete_days():
    start, end = incremental_window(
        first_day=date(2025, 11, 1), last_day=date(2026, 12, 1), yesterday=date(2026, 12, 2)
    )
    assert (start, end) == (date(2026, 11, 26), date(2026, 12, 2))


def test_the_incremental_catches_up_a_gap_but_not_before_the_first_day_nor_13_months():
    yesterday = date(2026, 12, 2)
    assert incremental_window(first_day=date(2025, 11, 1), last_day=date(2026, 10, 9), yesterday=yesterday)[0] == date(
        2026, 10, 10
    )
    # the source's first day is a floor
    assert incremental_window(first_day=date(2026, 11, 28), last_day=date(2026, 11, 29), yesterday=yesterday)[
        0
    ] == date(2026, 11, 28)
    # a source silent for two years reads 13 months, no more
    start, _ = incremental_window(first_day=date(2023, 1, 1), last_day=date(2024, 1, 1), yesterday=yesterday)
    assert start == date(2025, 11, 1)
    plan = run_chunks(backfill=False, first_day=date(2023, 1, 1), last_day=date(2024, 1, 1), yesterday=yesterday)
    assert all(len(chunk.days) <= CHUNK_DAYS for chunk in plan)


def test_chunks_of_an_empty_window():
    assert chunks(date(2026, 1, 2), date(2026, 1, 1)) == []
    assert [len(c.days) for c in chunks(date(2026, 1, 1), date(2026, 3, 4))] == [31, 31, 1]


def test_yesterday_is_the_clients_local_day():
    # 23:30 UTC on 1 December is already 2 December in Paris
    assert yesterday_in(PARIS, datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert yesterday_in(ZoneInfo("America/Montreal"), datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == date(2026, 11, 30)


def test_the_jitter_is_stable_within_the_half_hour_and_spreads_sources():
    assert jitter(7) == jitter(7)
    values = {jitter(n) for n in range(1, 50)}
    assert all(timedelta(0) <= value < timedelta(seconds=JITTER_SECONDS) for value in values)
    assert len(values) == 49


def test_the_next_run_is_the_next_4_am_local_plus_the_jitter():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    expected = datetime(2026, 12, 3, 4, 0, tzinfo=PARIS) + jitter(5)
    assert slot_after(5, PARIS, now) == expected
    # before today's slot: today's
    early = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    assert slot_after(5, PARIS, early) == datetime(2026, 12, 2, 4, 0, tzinfo=PARIS) + jitter(5)
    # exactly at the slot: the next one
    assert slot_after(5, PARIS, expected) == expected + timedelta(days=1)


def test_the_next_run_across_daylight_saving_changes_stays_at_4_local():
    # spring forward in Paris: 29 March 2026, 02:00 → 03:00; the 04:00 slot is 02:00 UTC, not 03:00
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    slot = slot_after(1, PARIS, before)
    assert slot.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 3, 29, 4, 0) + jitter(1)
    assert slot - jitter(1) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    # fall back: 25 October 2026, 03:00 → 02:00; the 04:00 slot is 03:00 UTC
    slot = slot_after(1, PARIS, datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert slot - jitter(1) == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)


def test_a_slot_in_the_skipped_hour_lands_after_the_gap_and_an_ambiguous_one_on_its_first_occurrence():
    at = time(2, 30)
    # 02:30 does not exist on 29 March 2026 in Paris: read with the winter offset, it is 01:30 UTC (03:30 CEST)
    slot = slot_after(1, PARIS, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), at=at)
    assert slot - jitter(1) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 25 October 2026: the first one, 00:30 UTC (CEST)
    slot = slot_after(1, PARIS, datetime(2026, 10, 24, 12, 0, tzinfo=UTC), at=at)
    assert slot - jitter(1) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # and the day after, still one slot per day
    assert slot_after(1, PARIS, slot, at=at) - jitter(1) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
