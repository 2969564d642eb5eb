"""Members: the people page (who sees which places), role changes and removals under the same rule as
invitations, effective on the member's next request; an agency keeps its last owner."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.members import member_remove, member_role_change
from accounts.tests.invitation_helpers import invited
from audit.models import AuditAction, AuditEvent
from config.errors import DomainError
from tenants.models import Membership, Role
from tenants.services import membership_grant, user_create_or_update


def _membership(user, **place) -> Membership:
    return Membership.objects.get(user=user, **place)


# --- the people page -----------------------------------------------------------------------------------


def test_agency_people_see_the_agency_and_every_client_with_its_members_and_invitations(db, world, http_as):
    invited(world.manager_alpha, "waiting@example.test", "viewer", client=world.alpha)
    for user in (world.owner, world.staff):
        page = http_as(user).get("/people/")
        assert page.status_code == 200
        html = page.content.decode()
        assert f'data-testid="agency-{world.agency.pk}"' in html
        assert 'data-testid="client-alpha"' in html and 'data-testid="client-beta"' in html
        assert 'data-testid="client-gamma"' not in html and "owner@other.test" not in html
        assert 'data-member="viewer@alpha.test"' in html and 'data-invitation="waiting@example.test"' in html


def test_a_manager_sees_only_their_client(db, world, http_as):
    html = http_as(world.manager_alpha).get("/people/").content.decode()
    assert 'data-testid="client-alpha"' in html
    assert 'data-testid="client-beta"' not in html and 'data-testid="agency-' not in html
    assert "viewer@beta.test" not in html
    # the agency's people appear on the client, read-only
    assert 'data-member="owner@agence.test"' in html
    assert http_as(world.manager_alpha).get("/people/?client=beta").status_code == 404


@pytest.mark.parametrize("who", ["sales_alpha", "viewer_alpha", "outsider"])
def test_people_without_a_managing_role_are_refused_the_page(db, world, http_as, who):
    assert http_as(getattr(world, who)).get("/people/").status_code == 403


def test_the_page_needs_a_login(db, world, anonymous):
    response = anonymous.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_only_owners_get_controls_over_agency_people(db, world, http_as):
    staff_html = http_as(world.staff).get("/people/").content.decode()
    owner_html = http_as(world.owner).get("/people/").content.decode()
    owner_membership = _membership(world.owner, agency=world.agency)
    remove_owner = f"/people/members/{owner_membership.pk}/remove/"
    assert remove_owner in owner_html and remove_owner not in staff_html


def test_the_page_speaks_english_and_french(db, world, http_as):
    invited(world.owner, "waiting@example.test", "viewer", client=world.alpha)
    browser = http_as(world.owner)
    browser.cookies["django_language"] = "en"
    english = browser.get("/people/").content.decode()
    assert "Waiting invitations" in english and "<h1>People</h1>" in english
    browser.cookies["django_language"] = "fr"
    french = browser.get("/people/").content.decode()
    assert "Invitations en attente" in french and "<h1>Personnes</h1>" in french


# --- role changes ----------------------------------------------------------------------------------


def test_an_owner_changes_a_clients_member_role_from_the_page(db, world, http_as):
    membership = _membership(world.viewer_alpha, client=world.alpha)
    response = http_as(world.owner).post(f"/people/members/{membership.pk}/role/", {"role": "sales"})
    assert (response.status_code, response["Location"]) == (302, "/people/#client-alpha")
    membership.refresh_from_db()
    assert membership.role == "sales"
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED, target="viewer@alpha.test")
    assert (event.actor_email, event.client_id, event.details) == (
        "owner@agence.test",
        world.alpha.pk,
        {"old_role": "viewer", "new_role": "sales"},
    )


def test_a_role_change_is_effective_on_the_next_request(db, world, http_as):
    viewer = http_as(world.viewer_alpha)
    assert viewer.get("/c/alpha/leads/").status_code == 403  # viewers see the dashboard only
    member_role_change(membership=_membership(world.viewer_alpha, client=world.alpha), role="sales", by=world.owner)
    assert viewer.get("/c/alpha/leads/").status_code == 200


def test_a_manager_gives_sales_and_viewer_roles_but_not_manager(db, world):
    sales = _membership(world.sales_alpha, client=world.alpha)
    assert member_role_change(membership=sales, role="viewer", by=world.manager_alpha).role == "viewer"
    with pytest.raises(DomainError) as refused:
        member_role_change(membership=sales, role="manager", by=world.manager_alpha)
    assert refused.value.field == "role"
    with pytest.raises(DomainError):
        member_role_change(
            membership=_membership(world.manager_alpha, client=world.alpha), role="viewer", by=world.manager_alpha
        )


def test_a_client_membership_takes_client_roles_only(db, world):
    with pytest.raises(DomainError) as refused:
        member_role_change(membership=_membership(world.viewer_alpha, client=world.alpha), role="owner", by=world.owner)
    assert refused.value.field == "role"


def test_staff_cannot_change_agency_people(db, world, http_as):
    owner = _membership(world.owner, agency=world.agency)
    response = http_as(world.staff).post(f"/people/members/{owner.pk}/role/", {"role": "staff"})
    assert response.status_code == 404
    owner.refresh_from_db()
    assert owner.role == "owner"


def test_another_agency_cannot_touch_our_members(db, world, http_as):
    membership = _membership(world.viewer_alpha, client=world.alpha)
    browser = http_as(world.other_owner)
    assert browser.post(f"/people/members/{membership.pk}/role/", {"role": "sales"}).status_code == 404
    assert browser.post(f"/people/members/{membership.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=membership.pk, role="viewer").exists()


# --- the last owner --------------------------------------------------------------------------------


def test_the_last_owner_can_be_neither_demoted_nor_removed(db, world, http_as):
    owner = _membership(world.owner, agency=world.agency)
    for action in (
        lambda: member_role_change(membership=owner, role="staff", by=world.owner),
        lambda: member_remove(membership=owner, by=world.owner),
    ):
        with pytest.raises(DomainError) as refused:
            action()
        assert refused.value.code == "last_owner"
    browser = http_as(world.owner)
    browser.cookies["django_language"] = "en"
    response = browser.post(f"/people/members/{owner.pk}/role/", {"role": "staff"}, follow=True)
    assert "keeps at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == "owner"


def test_with_a_second_owner_the_first_may_step_down(db, world):
    second, _ = user_create_or_update(email="second-owner@agence.test", password=None)
    membership_grant(user=second, agency=world.agency, role="owner")
    owner = _membership(world.owner, agency=world.agency)
    assert member_role_change(membership=owner, role="staff", by=world.owner).role == "staff"
    # now the second owner is the last one
    with pytest.raises(DomainError):
        member_remove(membership=_membership(second, agency=world.agency), by=second)


def test_an_owner_promotes_staff_to_owner(db, world, http_as):
    staff = _membership(world.staff, agency=world.agency)
    http_as(world.owner).post(f"/people/members/{staff.pk}/role/", {"role": "owner"})
    staff.refresh_from_db()
    assert staff.role == Role.OWNER


# --- removal ---------------------------------------------------------------------------------------


def test_a_removed_member_loses_access_on_the_next_request(db, world, http_as):
    viewer = http_as(world.viewer_alpha)
    assert viewer.get("/c/alpha/").status_code == 200
    membership = _membership(world.viewer_alpha, client=world.alpha)
    response = http_as(world.owner).post(f"/people/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert viewer.get("/c/alpha/").status_code == 404
    assert not Membership.objects.filter(pk=membership.pk).exists()
    world.viewer_alpha.refresh_from_db()
    assert world.viewer_alpha.is_active  # the account stays
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_REMOVED)
    assert (event.actor_email, event.target, event.client_id, event.details) == (
        "owner@agence.test",
        "viewer@alpha.test",
        world.alpha.pk,
        {"role": "viewer"},
    )


def test_a_removed_agency_staff_loses_every_client(db, world, http_as):
    staff = http_as(world.staff)
    assert staff.get("/c/beta/").status_code == 200
    member_remove(membership=_membership(world.staff, agency=world.agency), by=world.owner)
    assert staff.get("/c/alpha/").status_code == 404 and staff.get("/c/beta/").status_code == 404


def test_a_manager_removes_sales_but_not_another_manager(db, world, http_as):
    other_manager, _ = user_create_or_update(email="manager2@alpha.test", password=None)
    membership_grant(user=other_manager, client=world.alpha, role="manager")
    browser = http_as(world.manager_alpha)
    manager_membership = _membership(other_manager, client=world.alpha)
    assert browser.post(f"/people/members/{manager_membership.pk}/remove/").status_code == 404
    sales = _membership(world.sales_alpha, client=world.alpha)
    assert browser.post(f"/people/members/{sales.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=sales.pk).exists()
    assert Membership.objects.filter(pk=manager_membership.pk).exists()


def test_page_actions_need_post(db, world, http_as):
    membership = _membership(world.viewer_alpha, client=world.alpha)
    assert http_as(world.owner).get(f"/people/members/{membership.pk}/remove/").status_code == 405
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_invitation_controls_on_the_page(db, world, http_as):
    invitation, _ = invited(world.owner, "controls@example.test", "viewer", client=world.beta)
    browser = http_as(world.staff)
    with translation.override("en"):
        resent = browser.post(f"/people/invitations/{invitation.pk}/resend/")
    assert (resent.status_code, resent["Location"]) == (302, "/people/#client-beta")
    revoked = browser.post(f"/people/invitations/{invitation.pk}/revoke/")
    assert revoked.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    # gone from the list, and a second withdrawal finds nothing
    assert browser.post(f"/people/invitations/{invitation.pk}/revoke/").status_code == 404
    assert http_as(world.other_owner).post(f"/people/invitations/{invitation.pk}/resend/").status_code == 404


def test_the_top_bar_links_to_the_people_page(db, world, http_as):
    assert (
        b'href="/people/?client=alpha" data-testid="people-link"'
        in http_as(world.manager_alpha).get("/c/alpha/").content
    )
    assert b'data-testid="people-link"' not in http_as(world.viewer_alpha).get("/c/alpha/").content
    assert b'href="/people/" data-testid="people-link"' in http_as(world.owner).get("/").content


def test_the_refusal_says_why(db, world, http_as):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "en"
    response = browser.get("/people/")
    assert response.status_code == 403 and b"Only agency people and client managers manage people." in response.content


def test_the_page_costs_the_same_queries_whatever_the_number_of_members(db, world, http_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = http_as(world.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/people/").status_code == 200
        return len(captured)

    queries()  # the first request also settles the language cookie
    before = queries()
    for n in range(10):
        member, _ = user_create_or_update(email=f"extra{n}@alpha.test", password=None)
        membership_grant(user=member, client=world.alpha, role="viewer")
        invited(world.owner, f"waiting{n}@example.test", "viewer", client=world.beta)
    assert queries() == before
