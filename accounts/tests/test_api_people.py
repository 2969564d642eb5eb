"""The people API (public schema): invitations and client members, every endpoint and role, the same
rules as the pages; another agency's clients, invitations and members do not exist for a caller (404);
an archived client's members are a 404 too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
import yaml
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone
from knox.models import AuthToken

import accounts.api
import accounts.invitations
from accounts.invitations import INVITATION_VALIDITY, invitation_revoke
from accounts.models import Invitation, InvitationStatus
from accounts.tests.invitation_helpers import STRONG_PASSWORD, invited, token_in
from audit.models import AuditAction, AuditEvent
from config.throttling import Quota, throttle_cache
from conftest import PASSWORD
from tenants.models import Client, Membership, User
from tenants.services import membership_grant, user_create_or_update

INVITATIONS = "/api/v1/invitations/"
ACCEPT = "/api/v1/invitations/accept/"


def _members(slug: str) -> str:
    return f"/api/v1/clients/{slug}/members/"


def _token_client(user) -> HttpClient:
    """A script with ``user``'s personal token (no session, no CSRF)."""
    _, token = AuthToken.objects.create(user=user)
    return HttpClient(headers={"Authorization": f"Token {token}"})


@pytest.fixture
def api(http_as):
    """``api(user)``: a signed-in client sending JSON."""

    def make(user):
        return http_as(user)

    return make


def test_the_public_document_has_exactly_the_people_paths(db, anonymous):
    paths = yaml.safe_load(anonymous.get("/api/v1/schema/").content)["paths"]
    people = {path: sorted(methods) for path, methods in paths.items() if "invitations" in path or "members" in path}
    assert people == {
        "/api/v1/invitations/": ["get", "post"],
        "/api/v1/invitations/{id}/": ["delete"],
        "/api/v1/invitations/{id}/resend/": ["post"],
        "/api/v1/invitations/accept/": ["post"],
        "/api/v1/clients/{slug}/members/": ["get"],
        "/api/v1/clients/{slug}/members/{id}/": ["delete", "patch"],
    }
    assert (
        "security" not in paths["/api/v1/invitations/accept/"]["post"]
        or {} in (paths["/api/v1/invitations/accept/"]["post"]["security"])
    )
    assert "403" in paths["/api/v1/clients/{slug}/members/"]["get"]["responses"]
    assert "429" in paths["/api/v1/invitations/accept/"]["post"]["responses"]


# --- inviting --------------------------------------------------------------------------------------

# (actor, body) -> status: 201 sent, 400 a role they may not give (they may give others there), 403 a role that
# may invite nobody there, 404 a client they cannot enter.
INVITE_CASES = [
    ("owner", {"role": "staff"}, 201),
    ("owner", {"role": "owner"}, 201),
    ("owner", {"role": "manager", "client": "alpha"}, 201),
    ("owner", {"role": "viewer", "client": "gamma"}, 404),
    ("staff", {"role": "staff"}, 403),
    ("staff", {"role": "manager", "client": "beta"}, 201),
    ("manager_alpha", {"role": "sales", "client": "alpha"}, 201),
    ("manager_alpha", {"role": "viewer", "client": "alpha"}, 201),
    ("manager_alpha", {"role": "manager", "client": "alpha"}, 400),
    ("manager_alpha", {"role": "viewer", "client": "beta"}, 404),
    ("manager_alpha", {"role": "staff"}, 403),
    ("sales_alpha", {"role": "viewer", "client": "alpha"}, 403),
    ("viewer_alpha", {"role": "viewer", "client": "alpha"}, 403),
    ("other_owner", {"role": "viewer", "client": "alpha"}, 404),
    ("other_owner", {"role": "viewer", "client": "gamma"}, 201),
    ("outsider", {"role": "viewer", "client": "alpha"}, 404),
    ("outsider", {"role": "staff"}, 403),
]


@pytest.mark.parametrize(("actor", "body", "expected"), INVITE_CASES)
def test_who_may_invite_whom_through_the_api(db, world, api, actor, body, expected):
    response = api(getattr(world, actor)).post(
        INVITATIONS, {"email": "invitee@example.test", **body}, content_type="application/json"
    )
    assert response.status_code == expected, response.content
    assert len(mail.outbox) == (1 if expected == 201 else 0)
    if expected == 201:
        invitation = Invitation.objects.get(pk=response.json()["id"])
        assert (invitation.role, response.json()["status"], response.json()["client"]) == (
            body["role"],
            "pending",
            body.get("client"),
        )
        assert "token" not in response.json() and "token_hash" not in response.json()
    elif expected == 400:
        assert "role" in response.json()


def test_invitation_input_errors_are_field_errors(db, world, api):
    owner = api(world.owner)
    cases = [
        ({"email": "nope", "role": "viewer", "client": "alpha"}, "email"),
        ({"email": "a@example.test", "role": "boss", "client": "alpha"}, "role"),
        ({"email": "a@example.test", "role": "viewer"}, "client"),
        ({"email": "a@example.test", "role": "staff", "client": "alpha"}, "client"),
        ({"email": world.viewer_alpha.email, "role": "sales", "client": "alpha"}, "email"),
    ]
    for body, field in cases:
        response = owner.post(INVITATIONS, body, content_type="application/json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    assert mail.outbox == []


def test_an_owner_of_several_agencies_names_the_agency(db, world, api):
    membership_grant(user=world.owner, agency=world.other_agency, role="owner")
    owner = api(world.owner)
    unnamed = owner.post(INVITATIONS, {"email": "s@example.test", "role": "staff"}, content_type="application/json")
    assert unnamed.status_code == 400 and "agency" in unnamed.json()
    named = owner.post(
        INVITATIONS,
        {"email": "s@example.test", "role": "staff", "agency": world.other_agency.pk},
        content_type="application/json",
    )
    assert named.status_code == 201 and named.json()["agency"] == world.other_agency.pk
    # an agency the caller does not own does not exist for them
    stranger = api(world.staff).post(
        INVITATIONS,
        {"email": "t@example.test", "role": "staff", "agency": world.agency.pk},
        content_type="application/json",
    )
    assert stranger.status_code == 404


def test_the_list_holds_the_open_invitations_the_caller_may_manage(db, world, api):
    invited(world.owner, "agency-staff@example.test", "staff", agency=world.agency)
    invited(world.owner, "alpha-manager@example.test", "manager", client=world.alpha)
    invited(world.owner, "alpha-viewer@example.test", "viewer", client=world.alpha)
    invited(world.owner, "beta-viewer@example.test", "viewer", client=world.beta)
    gone, _ = invited(world.owner, "gone@example.test", "viewer", client=world.beta)
    invitation_revoke(invitation=gone, by=world.owner)
    invited(world.other_owner, "gamma@example.test", "viewer", client=world.gamma)

    def emails(user):
        response = api(user).get(INVITATIONS)
        assert response.status_code == 200
        return {row["email"] for row in response.json()["results"]}

    assert emails(world.owner) == {
        "agency-staff@example.test",
        "alpha-manager@example.test",
        "alpha-viewer@example.test",
        "beta-viewer@example.test",
    }
    assert emails(world.staff) == {
        "alpha-manager@example.test",
        "alpha-viewer@example.test",
        "beta-viewer@example.test",
    }
    assert emails(world.manager_alpha) == {"alpha-viewer@example.test"}
    assert emails(world.sales_alpha) == set() and emails(world.outsider) == set()
    assert emails(world.other_owner) == {"gamma@example.test"}


def test_resend_and_revoke(db, world, api):
    invitation, old_token = invited(world.manager_alpha, "r@example.test", "sales", client=world.alpha)
    manager = api(world.manager_alpha)
    resent = manager.post(f"{INVITATIONS}{invitation.pk}/resend/")
    assert resent.status_code == 200 and resent.json()["status"] == "pending"
    new_token = token_in(mail.outbox[-1])
    assert new_token != old_token
    assert api(None).post(ACCEPT, {"token": old_token, "name": "R", "password": STRONG_PASSWORD}).status_code == 400
    assert manager.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 204
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.REVOKED
    # revoked: gone from the caller's invitations
    assert manager.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 404
    assert manager.post(f"{INVITATIONS}{invitation.pk}/resend/").status_code == 404
    assert api(None).post(ACCEPT, {"token": new_token, "name": "R", "password": STRONG_PASSWORD}).status_code == 400
    actions = list(AuditEvent.objects.filter(target="r@example.test").order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.INVITATION_SENT, AuditAction.INVITATION_RESENT, AuditAction.INVITATION_REVOKED]


@pytest.mark.parametrize("who", ["other_owner", "sales_alpha", "viewer_alpha", "outsider"])
def test_invitations_of_others_do_not_exist_for_the_caller(db, world, api, who):
    invitation, _ = invited(world.owner, "mine@example.test", "viewer", client=world.alpha)
    caller = api(getattr(world, who))
    assert caller.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 404
    assert caller.post(f"{INVITATIONS}{invitation.pk}/resend/").status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.PENDING
    assert len(mail.outbox) == 1


def test_a_manager_cannot_revoke_an_invitation_to_manager(db, world, api):
    invitation, _ = invited(world.staff, "m@example.test", "manager", client=world.alpha)
    assert api(world.manager_alpha).delete(f"{INVITATIONS}{invitation.pk}/").status_code == 404


def test_anonymous_callers_are_refused(db, world, anonymous):
    invitation, _ = invited(world.owner, "anon@example.test", "viewer", client=world.alpha)
    for response in (
        anonymous.get(INVITATIONS),
        anonymous.post(INVITATIONS, {"email": "x@example.test", "role": "viewer", "client": "alpha"}),
        anonymous.delete(f"{INVITATIONS}{invitation.pk}/"),
        anonymous.post(f"{INVITATIONS}{invitation.pk}/resend/"),
        anonymous.get(_members("alpha")),
        anonymous.delete(f"{_members('alpha')}1/"),
    ):
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_a_token_works_like_a_session(db, world):
    script = _token_client(world.owner)
    response = script.post(
        INVITATIONS,
        {"email": "script@example.test", "role": "viewer", "client": "beta"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert script.get(_members("beta")).status_code == 200


def test_invitation_mails_are_limited_per_sender(db, world, api, monkeypatch):
    quota = Quota(scope="invitation_mail_test", limit=2, window=timedelta(hours=1))
    monkeypatch.setattr(accounts.invitations, "INVITATION_MAILS", quota)
    monkeypatch.setattr(accounts.api, "INVITATION_MAILS", quota)
    manager = api(world.manager_alpha)
    for n in range(2):
        body = {"email": f"q{n}@example.test", "role": "viewer", "client": "alpha"}
        assert manager.post(INVITATIONS, body, content_type="application/json").status_code == 201
    refused = manager.post(
        INVITATIONS, {"email": "q3@example.test", "role": "viewer", "client": "alpha"}, content_type="application/json"
    )
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    first = Invitation.objects.get(email="q0@example.test")
    assert manager.post(f"{INVITATIONS}{first.pk}/resend/").status_code == 429
    assert len(mail.outbox) == 2
    throttle_cache().clear()


# --- accepting -------------------------------------------------------------------------------------


def test_a_new_person_accepts_with_name_and_password(db, world, anonymous):
    _, token = invited(world.manager_alpha, "api-new@example.test", "sales", client=world.alpha)
    response = anonymous.post(
        ACCEPT, {"token": token, "name": "Api Newcomer", "password": STRONG_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "email": "api-new@example.test",
        "role": "sales",
        "agency": None,
        "client": "alpha",
        "new_account": True,
        "url": "/c/alpha/",
    }
    user = User.objects.get(email="api-new@example.test")
    assert user.check_password(STRONG_PASSWORD) and user.full_name == "Api Newcomer"
    # the new account works for the API at once
    token_response = anonymous.post(
        "/api/v1/tokens/",
        {"email": "api-new@example.test", "password": STRONG_PASSWORD},
        content_type="application/json",
    )
    assert token_response.status_code == 201


def test_accepting_needs_a_name_and_a_strong_password(db, world, anonymous):
    _, token = invited(world.owner, "weak-api@example.test", "viewer", client=world.alpha)
    for body, field in [
        ({"token": token, "password": STRONG_PASSWORD}, "name"),
        ({"token": token, "name": "Weak"}, "password"),
        ({"token": token, "name": "Weak", "password": "password"}, "password"),
        ({"token": token, "name": "weak-api", "password": "weak-api@example.test"}, "password"),
        ({"name": "Weak", "password": STRONG_PASSWORD}, "token"),
    ]:
        response = anonymous.post(ACCEPT, body, content_type="application/json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    assert not User.objects.filter(email="weak-api@example.test").exists()


@pytest.mark.parametrize("how", ["forged", "expired", "reused", "revoked", "archived client"])
def test_a_dead_link_is_a_400_on_the_token(db, world, anonymous, how):
    invitation, token = invited(world.owner, "dead@example.test", "viewer", client=world.alpha)
    body = {"token": token, "name": "Dead Link", "password": STRONG_PASSWORD}
    if how == "forged":
        body["token"] = "x" * 43
    elif how == "reused":
        assert anonymous.post(ACCEPT, body, content_type="application/json").status_code == 200
    elif how == "revoked":
        invitation_revoke(invitation=invitation, by=world.owner)
    elif how == "archived client":
        Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    moment = timezone.now() + (INVITATION_VALIDITY + timedelta(seconds=1) if how == "expired" else timedelta(0))
    with time_machine.travel(moment):
        response = anonymous.post(ACCEPT, body, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["token"]
    assert Membership.objects.filter(user__email="dead@example.test").count() == (1 if how == "reused" else 0)


def test_an_existing_account_accepts_with_its_password_or_its_session(db, world, anonymous, api):
    _, token = invited(world.owner, world.viewer_beta.email, "viewer", client=world.alpha)
    without = anonymous.post(ACCEPT, {"token": token}, content_type="application/json")
    assert without.status_code == 400 and "password" in without.json()
    wrong = anonymous.post(ACCEPT, {"token": token, "password": "wrong-password"}, content_type="application/json")
    assert wrong.status_code == 400 and "password" in wrong.json()
    # someone else's session does not count
    intruder = api(world.sales_alpha).post(ACCEPT, {"token": token}, content_type="application/json")
    assert intruder.status_code == 400
    assert not Membership.objects.filter(user=world.viewer_beta, client=world.alpha).exists()
    right = anonymous.post(ACCEPT, {"token": token, "password": PASSWORD}, content_type="application/json")
    assert right.status_code == 200 and right.json()["new_account"] is False
    # the same with a session of the invited account, for beta
    _, token2 = invited(world.owner, world.viewer_alpha.email, "viewer", client=world.beta)
    by_session = api(world.viewer_alpha).post(ACCEPT, {"token": token2}, content_type="application/json")
    assert by_session.status_code == 200 and by_session.json()["url"] == "/c/beta/"


def test_an_agency_invitation_accepted_leads_to_the_portfolio(db, world, anonymous):
    _, token = invited(world.owner, "api-staff@example.test", "staff", agency=world.agency)
    body = {"token": token, "name": "Api Staff", "password": STRONG_PASSWORD}
    response = anonymous.post(ACCEPT, body, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["url"], response.json()["agency"], response.json()["client"]) == (
        "/",
        world.agency.pk,
        None,
    )


def test_password_guesses_on_accept_count_towards_the_login_lockout(db, world, anonymous, settings):
    settings.AXES_FAILURE_LIMIT = 2
    _, token = invited(world.owner, world.viewer_beta.email, "viewer", client=world.alpha)
    guess = {"token": token, "password": "guess"}
    assert anonymous.post(ACCEPT, guess, content_type="application/json").status_code == 400
    assert anonymous.post(ACCEPT, guess, content_type="application/json").status_code == 429  # the second locks
    # locked: even the right password is refused for now
    locked = anonymous.post(ACCEPT, {"token": token, "password": PASSWORD}, content_type="application/json")
    assert locked.status_code == 429
    assert not Membership.objects.filter(user=world.viewer_beta, client=world.alpha).exists()


# --- members ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "staff", "manager_alpha"])
def test_managing_roles_list_the_members_of_alpha(db, world, api, who):
    response = api(getattr(world, who)).get(_members("alpha"))
    assert response.status_code == 200
    rows = {(row["email"], row["role"], row["kind"]) for row in response.json()}
    assert rows == {
        ("manager@alpha.test", "manager", "client"),
        ("sales@alpha.test", "sales", "client"),
        ("viewer@alpha.test", "viewer", "client"),
        ("owner@agence.test", "owner", "agency"),
        ("staff@agence.test", "staff", "agency"),
    }
    manageable = {row["email"] for row in response.json() if row["can_manage"]}
    expected = {"sales@alpha.test", "viewer@alpha.test"}
    assert manageable == (expected if who == "manager_alpha" else expected | {"manager@alpha.test"})


@pytest.mark.parametrize("who", ["sales_alpha", "viewer_alpha"])
def test_sales_and_viewers_may_not_read_the_members(db, world, api, who):
    assert api(getattr(world, who)).get(_members("alpha")).status_code == 403


@pytest.mark.parametrize(
    ("who", "slug"),
    [
        ("other_owner", "alpha"),
        ("outsider", "alpha"),
        ("owner", "gamma"),
        ("manager_alpha", "beta"),
        ("owner", "no-such-client"),
    ],
)
def test_members_of_a_client_the_caller_cannot_enter_do_not_exist(db, world, api, who, slug):
    caller = api(getattr(world, who))
    target = Membership.objects.filter(client__slug=slug).first()
    member_id = target.pk if target else 1
    assert caller.get(_members(slug)).status_code == 404
    assert (
        caller.patch(f"{_members(slug)}{member_id}/", {"role": "sales"}, content_type="application/json").status_code
        == 404
    )
    assert caller.delete(f"{_members(slug)}{member_id}/").status_code == 404
    if target is not None:
        assert Membership.objects.filter(pk=target.pk, role=target.role).exists()


def test_an_archived_clients_members_are_a_404(db, world, api):
    membership = Membership.objects.get(user=world.viewer_alpha, client=world.alpha)
    Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    owner = api(world.owner)
    assert owner.get(_members("alpha")).status_code == 404
    assert (
        owner.patch(
            f"{_members('alpha')}{membership.pk}/", {"role": "sales"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert owner.delete(f"{_members('alpha')}{membership.pk}/").status_code == 404
    assert (
        owner.post(
            INVITATIONS,
            {"email": "z@example.test", "role": "viewer", "client": "alpha"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert Membership.objects.filter(pk=membership.pk, role="viewer").exists()


def test_role_change_through_the_api(db, world, api):
    membership = Membership.objects.get(user=world.viewer_alpha, client=world.alpha)
    url = f"{_members('alpha')}{membership.pk}/"
    manager = api(world.manager_alpha)
    response = manager.patch(url, {"role": "sales"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["role"] == "sales"
    too_high = manager.patch(url, {"role": "manager"}, content_type="application/json")
    assert too_high.status_code == 400 and "role" in too_high.json()
    agency_role = api(world.owner).patch(url, {"role": "owner"}, content_type="application/json")
    assert agency_role.status_code == 400 and "role" in agency_role.json()
    assert api(world.owner).patch(url, {"role": "nonsense"}, content_type="application/json").status_code == 400
    membership.refresh_from_db()
    assert membership.role == "sales"
    # a manager's own membership (a role they could not give) is not theirs to change
    own = Membership.objects.get(user=world.manager_alpha, client=world.alpha)
    assert (
        manager.patch(f"{_members('alpha')}{own.pk}/", {"role": "viewer"}, content_type="application/json").status_code
        == 403
    )
    assert manager.delete(f"{_members('alpha')}{own.pk}/").status_code == 403
    assert api(world.sales_alpha).delete(url).status_code == 403


def test_agency_people_and_other_clients_members_are_not_addressable_on_a_client(db, world, api):
    owner = api(world.owner)
    agency_membership = Membership.objects.get(user=world.staff, agency=world.agency)
    beta_membership = Membership.objects.get(user=world.viewer_beta, client=world.beta)
    for membership in (agency_membership, beta_membership):
        assert owner.delete(f"{_members('alpha')}{membership.pk}/").status_code == 404
        assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_member_removed_through_the_api_loses_access_on_the_next_request(db, world, api):
    viewer_script = _token_client(world.viewer_alpha)
    viewer_browser = api(world.viewer_alpha)
    assert viewer_script.get("/c/alpha/api/v1/dashboard/").status_code in (200, 400)
    assert viewer_browser.get("/c/alpha/").status_code == 200
    membership = Membership.objects.get(user=world.viewer_alpha, client=world.alpha)
    assert api(world.manager_alpha).delete(f"{_members('alpha')}{membership.pk}/").status_code == 204
    assert viewer_script.get("/c/alpha/api/v1/dashboard/").status_code == 404
    assert viewer_browser.get("/c/alpha/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.MEMBER_REMOVED, target="viewer@alpha.test").count() == 1


def test_the_last_owner_is_protected_through_the_api_too(db, world, api):
    # an owner who is also a client's manager cannot reach the agency membership through a client path,
    # and the service refuses the last owner's removal whatever the way in (see test_members)
    owner_membership = Membership.objects.get(user=world.owner, agency=world.agency)
    assert api(world.owner).delete(f"{_members('alpha')}{owner_membership.pk}/").status_code == 404
    assert Membership.objects.filter(pk=owner_membership.pk, role="owner").exists()


def test_new_users_accepting_are_active_and_can_log_in(db, world, anonymous):
    user_create_or_update(email="exists-without-membership@example.test", password=PASSWORD)
    _, token = invited(world.owner, "exists-without-membership@example.test", "viewer", client=world.alpha)
    response = anonymous.post(ACCEPT, {"token": token, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200 and response.json()["new_account"] is False
