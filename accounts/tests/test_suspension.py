"""An agency suspended by platform staff: its people cannot log in (and are told why), its clients are
out of reach (404) even from a session opened before; other agencies are untouched; reinstating it
gives everything back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import PASSWORD
from tenants.access import agency_suspended_for, client_access_for, clients_visible_to
from tenants.models import Agency, User
from tenants.services import agency_reinstate, agency_suspend


def login(browser, email: str, password: str = PASSWORD):
    return browser.post("/accounts/login/", {"username": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def platform_staff(db) -> User:
    return User.objects.create_superuser("platform@pouls.test", PASSWORD)


def fresh(agency: Agency) -> Agency:
    """A copy of a session-wide agency of ``world``, so that no test changes the shared object."""
    return Agency.objects.get(pk=agency.pk)


@pytest.fixture
def suspended(db, world) -> Agency:
    agency = fresh(world.agency)
    agency_suspend(agency)
    return agency


def test_platform_staff_suspend_and_reinstate_an_agency_from_the_admin(http_as, world, platform_staff):
    admin = http_as(platform_staff)
    changelist = "/admin/tenants/agency/"
    response = admin.post(changelist, {"action": "suspend", "_selected_action": [world.agency.pk]})
    assert response.status_code == 302
    assert fresh(world.agency).is_suspended
    assert not Agency.objects.get(pk=world.other_agency.pk).is_suspended
    assert b"Agence Test" in admin.get(changelist + "?suspended_at__isnull=False").content

    admin.post(changelist, {"action": "reinstate", "_selected_action": [world.agency.pk]})
    assert not fresh(world.agency).is_suspended


def test_suspending_twice_changes_nothing(db, world):
    agency = fresh(world.agency)
    assert agency_suspend(agency) is True
    first = fresh(agency).suspended_at
    assert first is not None
    assert agency_suspend(agency) is False
    assert fresh(agency).suspended_at == first


@pytest.mark.parametrize("email", ["owner@agence.test", "staff@agence.test", "manager@alpha.test", "viewer@beta.test"])
def test_the_people_of_a_suspended_agency_cannot_log_in_and_are_told_why(anonymous, suspended, email):
    response = login(anonymous, email)
    assert response.status_code == 200
    assert b'data-testid="login-refused"' in response.content and b"suspended" in response.content
    assert "_auth_user_id" not in anonymous.session


def test_a_wrong_password_does_not_reveal_the_suspension(anonymous, suspended):
    response = login(anonymous, "owner@agence.test", "wrong")
    assert b"suspended" not in response.content and b"Your email and password didn" in response.content


def test_the_token_api_refuses_them_too(anonymous, suspended):
    response = anonymous.post("/api/v1/tokens/", {"email": "owner@agence.test", "password": PASSWORD})
    assert response.status_code == 401


def test_an_open_session_reaches_none_of_its_clients(http_as, world, suspended):
    for user in (world.owner, world.staff, world.manager_alpha, world.sales_alpha, world.viewer_alpha):
        browser = http_as(user)
        assert browser.get("/c/alpha/").status_code == 404, user
        assert browser.get("/c/alpha/api/v1/kpis/").status_code == 404, user
        assert clients_visible_to(user) == []
    owner = http_as(world.owner)
    assert owner.get("/c/beta/").status_code == 404
    assert b'data-testid="portfolio"' not in owner.get("/").content
    assert owner.get("/api/v1/portfolio/").json()["results"] == []


def test_other_agencies_and_platform_staff_are_untouched(http_as, world, suspended, platform_staff):
    assert http_as(world.other_owner).get("/c/gamma/").status_code == 200
    assert login(http_as(None), "owner@other.test").status_code == 302
    assert http_as(platform_staff).get("/c/alpha/").status_code == 200
    assert not agency_suspended_for(platform_staff)


def test_someone_who_also_works_for_an_agency_in_good_standing_still_logs_in(anonymous, world, suspended):
    from tenants.services import membership_grant

    membership_grant(user=world.staff, agency=world.other_agency, role="staff")
    assert login(anonymous, "staff@agence.test").status_code == 302
    assert anonymous.get("/c/gamma/").status_code == 200
    assert anonymous.get("/c/alpha/").status_code == 404


def test_reinstating_gives_access_back(http_as, world, suspended):
    agency_reinstate(suspended)
    assert http_as(world.viewer_alpha).get("/c/alpha/").status_code == 200
    assert login(http_as(None), "owner@agence.test").status_code == 302


def test_the_access_check_still_costs_one_query(world, suspended):
    for user, expected in [(world.staff, None), (world.other_owner, None)]:
        with CaptureQueriesContext(connection) as queries:
            assert client_access_for(user, world.alpha) is expected
        assert len(queries) == 1
    agency_reinstate(suspended)
    with CaptureQueriesContext(connection) as queries:
        assert client_access_for(world.manager_alpha, world.alpha).role == "manager"
    assert len(queries) == 1
