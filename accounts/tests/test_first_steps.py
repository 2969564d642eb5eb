"""The "first steps" guide: on the empty portfolio of an agency without client accounts, never once
it has one, never for a client's own people."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.first_steps import first_steps_for
from tenants.services import agency_get_or_create, membership_grant, user_create_or_update

GUIDE = b'data-testid="first-steps"'


def test_a_new_agency_s_people_see_the_guide_on_their_empty_portfolio(http_as, db):
    agency, _ = agency_get_or_create(name="Brand New", default_language="en")
    owner, _ = user_create_or_update(email="owner@brand.test", password=None)
    staff, _ = user_create_or_update(email="staff@brand.test", password=None)
    membership_grant(user=owner, agency=agency, role="owner")
    membership_grant(user=staff, agency=agency, role="staff")
    for user in (owner, staff):
        page = http_as(user).get("/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and GUIDE in page.content
        assert b"Brand New" in page.content
    with CaptureQueriesContext(connection) as queries:
        assert first_steps_for(owner).can_invite_staff and not first_steps_for(staff).can_invite_staff
    assert len(queries) == 2


def test_no_guide_once_the_agency_has_a_client_nor_for_client_people(http_as, world):
    assert GUIDE not in http_as(world.owner).get("/").content
    assert first_steps_for(world.owner) is None
    assert first_steps_for(world.manager_alpha) is None
    assert first_steps_for(world.outsider) is None
    assert GUIDE not in http_as(world.outsider).get("/").content
