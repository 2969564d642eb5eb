"""Which days a sync reads, and when a source runs next (docs/connectors.md, "Syncing").

Every day here is a day of the client's time zone (``tenants.zones.client_zone``), the days the facts are
stored by; "yesterday" is the last complete one.

- **Backfill**: from the first day of the month 13 months before the current one to yesterday. The whole
  first month, so that the same month last year and its predecessor compare whole months (a partial
  first month would read as a drop). On 3 December 2026 it starts on 1 November 2025.
- **Incremental**: the last 7 complete days (platforms restate recent days), reaching back to the day
  after the last day read when a run was missed (an outage); never before the backfill's first day,
  never before the 13 months' first day (the floor moves with the calendar).
- Both are read in **chunks** of at most ``CHUNK_DAYS`` days, oldest first; each chunk is written in its
  own transaction, so a crashed backfill resumes after its last committed chunk.
- **Next run**: 04:00 local time (the platforms have closed the previous day by then) plus a stable
  jitter of up to 30 minutes per source, so that not every source of a time zone runs in the same
  minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tenants.zones import client_zone

BACKFILL_MONTHS = 13
REREAD_DAYS = 7
CHUNK_DAYS = 31
SYNC_AT = time(4, 0)
JITTER_SECONDS = 30 * 60


@dataclass(frozen=True)
class Chunk:
    """Days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def backfill_first_day(yesterday: date) -> date:
    """The first day the data reaches back to: the 1st of the month 13 months before ``yesterday``'s."""
    months = yesterday.year * 12 + yesterday.month - 1 - BACKFILL_MONTHS
    return date(months // 12, months % 12 + 1, 1)


def yesterday_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date() - timedelta(days=1)


def chunks(start: date, end: date, *, size: int = CHUNK_DAYS) -> list[Chunk]:
    """``start``..``end`` cut into consecutive chunks of at most ``size`` days, oldest first (none when
    ``start`` is after ``end``)."""
    found = []
    while start <= end:
        last = min(end, start + timedelta(days=size - 1))
        found.append(Chunk(start, last))
        start = last + timedelta(days=1)
    return found


def backfill_window(*, last_day: date | None, yesterday: date) -> tuple[date, date]:
    """The days a backfill still has to read: from the 13 months' first day, or from the day after the
    last day a crashed backfill committed, to yesterday."""
    first = backfill_first_day(yesterday)
    start = first if last_day is None else max(first, last_day + timedelta(days=1))
    return start, yesterday


def incremental_window(*, first_day: date | None, last_day: date | None, yesterday: date) -> tuple[date, date]:
    """The last ``REREAD_DAYS`` complete days, from the day after ``last_day`` when that is earlier (a
    gap), never before the source's first day nor the 13 months' first day."""
    start = yesterday - timedelta(days=REREAD_DAYS - 1)
    if last_day is not None:
        start = min(start, last_day + timedelta(days=1))
    floor = backfill_first_day(yesterday)
    if first_day is not None:
        floor = max(floor, first_day)
    return max(start, floor), yesterday


def run_chunks(*, backfill: bool, first_day: date | None, last_day: date | None, yesterday: date) -> list[Chunk]:
    """The chunks one run reads."""
    if backfill:
        start, end = backfill_window(last_day=last_day, yesterday=yesterday)
    else:
        start, end = incremental_window(first_day=first_day, last_day=last_day, yesterday=yesterday)
    return chunks(start, end)


def jitter(source_id: int) -> timedelta:
    """A source's stable delay after ``SYNC_AT``: a multiplicative hash of its id (Knuth's), which
    spreads consecutive ids over the half hour and which ``connectors.due`` computes in SQL alike
    (``JITTER_SQL``)."""
    return timedelta(seconds=(source_id * HASH_MULTIPLIER) % 2**32 % JITTER_SECONDS)


HASH_MULTIPLIER = 2654435761
# The same jitter in SQL over the source's id column ``{id}`` (bigint arithmetic: ids below 3·10⁹).
JITTER_SQL = f"make_interval(secs => mod(mod({{id}}::bigint * {HASH_MULTIPLIER}, 4294967296), {JITTER_SECONDS}))"


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at wall time ``at`` in ``zone`` as an aware UTC moment. A wall time that does not exist
    (skipped by a spring-forward) is read with the offset before the change, so it lands as far past
    the gap as it was into it (02:30 on a 02:00→03:00 night is 03:30); one that exists twice (fall-back)
    is its first occurrence (``fold=0``)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def slot_after(source_id: int, zone: ZoneInfo, now: datetime, *, at: time = SYNC_AT) -> datetime:
    """The first of a source's daily slots (``at`` local time plus its jitter) strictly after ``now``."""
    today = now.astimezone(zone).date()
    for offset in range(-1, 3):  # the local day may differ from now's by one either side of the slot
        moment = local_moment(today + timedelta(days=offset), at, zone) + jitter(source_id)
        if moment > now:
            return moment
    raise AssertionError("unreachable: a slot exists within two days")


def next_run_at(source, now: datetime) -> datetime:
    """When ``source`` (a ``connectors.Source`` with its client) runs next: its slot after ``now``."""
    return slot_after(source.pk, client_zone(source.client), now)


def source_yesterday(source, now: datetime) -> date:
    """The last complete day of ``source``'s client at ``now``."""
    return yesterday_in(client_zone(source.client), now)
