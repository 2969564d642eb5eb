"""The audit log's details in the reader's words (issue 14, "Words"): facts by their names, roles by
their labels, instants as dates and times, never ISO text with microseconds."""

from __future__ import annotations

from datetime import datetime

from audit.models import AuditAction
from audit.tests.conftest import UTC, record_at

URL = "/audit/"
APRIL_2001 = {"date_from": "2001-04-01", "date_to": "2001-04-30"}


def test_the_details_read_in_french(http_as, world):
    record_at(
        datetime(2001, 4, 2, 9, tzinfo=UTC),
        actor=world.owner,
        action=AuditAction.TOKEN_CREATED,
        agency=world.agency,
        target="abc123",
        details={"expiry": datetime(2001, 5, 2, 9, 30, 15, 123456, tzinfo=UTC)},
    )
    record_at(
        datetime(2001, 4, 3, 9, tzinfo=UTC),
        actor=world.owner,
        action=AuditAction.ROLE_CHANGED,
        client=world.alpha,
        target="manager@alpha.test",
        details={"old_role": "viewer", "new_role": "manager", "new_account": True},
    )
    browser = http_as(world.owner)
    browser.cookies["django_language"] = "fr"
    html = browser.get(URL, APRIL_2001).content.decode()
    assert '<span class="muted">expire le</span> 2 mai 2001 09:30' in html  # the page's times are UTC
    assert "2001-05-02T09:30:15" not in html and ".123456" not in html
    assert '<span class="muted">nouveau rôle</span> Responsable client' in html
    assert '<span class="muted">nouveau compte</span> oui' in html
    assert "new_role" not in html and "old_role" not in html and "True" not in html
