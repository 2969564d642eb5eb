"""A provider for the sync's tests: it reports the rows a test gives it (``STATE``), for any kind.

Registered by the ``stub_provider`` fixture (connectors/tests/conftest.py) in place of the four real
providers, so the sync's tests do not depend on the platforms' formats. It records every read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class StubState:
    rows: list = field(default_factory=list)
    currency: str = "EUR"
    # Raised by the next ``rows`` call (then cleared), to play a platform failing.
    error: Exception | None = None
    reads: list[tuple[date, date]] = field(default_factory=list)


STATE = StubState()


def reset() -> StubState:
    global STATE
    STATE = StubState()
    return STATE


def rows(session, source, start: date, end: date):
    STATE.reads.append((start, end))
    if STATE.error is not None:
        error, STATE.error = STATE.error, None
        raise error
    yield from (row for row in STATE.rows if start <= row.date <= end)


def currency(session, source) -> str:
    return STATE.currency


def accounts(session, connection) -> list:
    return []
