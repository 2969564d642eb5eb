"""Events dated on purpose: recorded on a fake clock, since nothing (not even the recorder) may change
an event's date afterwards."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record

UTC = ZoneInfo("UTC")


def record_at(at: datetime, **kwargs) -> AuditEvent:
    with time_machine.travel(at, tick=False):
        return audit_record(**kwargs)


@pytest.fixture
def history(db, world) -> dict[str, AuditEvent]:
    """Four events of the agency (alpha, beta, none) and one of the other agency (gamma), in March 2001:
    no other test dates anything then."""
    return {
        "alpha invited": record_at(
            datetime(2001, 3, 1, 9, tzinfo=UTC),
            actor=world.owner,
            action=AuditAction.INVITATION_SENT,
            client=world.alpha,
            target="new@alpha.test",
        ),
        "beta archived": record_at(
            datetime(2001, 3, 2, 23, 59, tzinfo=UTC),
            actor=world.owner,
            action=AuditAction.CLIENT_ARCHIVED,
            client=world.beta,
            target="beta",
        ),
        "alpha lead erased": record_at(
            datetime(2001, 3, 3, 0, 0, tzinfo=UTC),
            actor=world.manager_alpha,
            action=AuditAction.LEAD_ERASED,
            client=world.alpha,
            target="42",
        ),
        "staff token": record_at(
            datetime(2001, 3, 4, 12, tzinfo=UTC),
            actor=world.staff,
            action=AuditAction.TOKEN_CREATED,
            agency=world.agency,
            target="abcdef123456789",
        ),
        "gamma invited": record_at(
            datetime(2001, 3, 3, 12, tzinfo=UTC),
            actor=world.other_owner,
            action=AuditAction.INVITATION_SENT,
            client=world.gamma,
            target="secret@gamma.test",
        ),
    }
