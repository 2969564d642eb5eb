"""Invitations: who may invite whom, the mail (in the recipient's language), and the link: accepted
once by a new person or by the existing account it names, dead once expired, used, revoked or
replaced, and never taken over by someone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from accounts.invitations import INVITATION_VALIDITY, invitation_accept, invitation_resend, invitation_revoke
from accounts.models import Invitation, InvitationStatus
from accounts.rules import may_invite
from accounts.tests.invitation_helpers import STRONG_PASSWORD, invited, token_in
from audit.models import AuditAction, AuditEvent
from config.errors import DomainError
from conftest import PASSWORD
from tenants.models import Agency, Client, Membership, Role, User
from tenants.services import user_create_or_update

AGENCY_ROLES = ["owner", "staff"]
CLIENT_ROLES = ["manager", "sales", "viewer"]
ALL_ROLES = AGENCY_ROLES + CLIENT_ROLES

# actor -> {(place, role)} they may invite; every other combination is refused.
ALLOWED = {
    "owner": {("agency", r) for r in AGENCY_ROLES} | {(c, r) for c in ("alpha", "beta") for r in CLIENT_ROLES},
    "staff": {(c, r) for c in ("alpha", "beta") for r in CLIENT_ROLES},
    "manager_alpha": {("alpha", "sales"), ("alpha", "viewer")},
    "sales_alpha": set(),
    "viewer_alpha": set(),
    "viewer_beta": set(),
    "other_owner": {("other_agency", r) for r in AGENCY_ROLES} | {("gamma", r) for r in CLIENT_ROLES},
    "outsider": set(),
}


def _place(world, name: str) -> dict:
    if name in ("agency", "other_agency"):
        return {"agency": getattr(world, name)}
    return {"client": getattr(world, name)}


@pytest.mark.parametrize("actor", sorted(ALLOWED))
def test_who_may_invite_whom(db, world, actor):
    user = getattr(world, actor)
    granted = {
        (place, role)
        for place in ("agency", "other_agency", "alpha", "beta", "gamma")
        for role in ALL_ROLES
        if may_invite(user, role, **_place(world, place))
    }
    assert granted == ALLOWED[actor]


def test_an_archived_client_takes_no_invitation(db, world):
    Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert not may_invite(world.owner, "viewer", client=alpha)
    with pytest.raises(DomainError):
        invited(world.owner, "late@example.test", "viewer", client=alpha)


def test_a_role_the_inviter_may_not_give_is_refused_and_nothing_is_sent(db, world):
    with pytest.raises(DomainError) as refused:
        invited(world.manager_alpha, "boss@example.test", "manager", client=world.alpha)
    assert refused.value.field == "role"
    assert mail.outbox == [] and not Invitation.objects.filter(email="boss@example.test").exists()


# --- the mail --------------------------------------------------------------------------------------


def test_the_mail_is_in_the_inviting_agencys_language_with_an_absolute_single_link(db, world, settings):
    settings.POULS_PUBLIC_URL = "https://pouls.example"
    invitation, token = invited(world.owner, "Nouvelle@Example.TEST", "viewer", client=world.alpha)
    [sent] = mail.outbox
    assert sent.to == ["nouvelle@example.test"] and invitation.email == "nouvelle@example.test"
    assert sent.extra_headers["Content-Language"] == "fr"
    assert "vous invite à rejoindre Alpha SAS sur Pouls, en tant que Lecteur (lecture seule)" in sent.body
    assert "Alpha SAS" in sent.subject
    assert f"https://pouls.example/invitations/{token}/" in sent.body
    assert sent.alternatives[0].content.count(f"https://pouls.example/invitations/{token}/") == 2  # button + text
    # the database keeps a keyed hash only, never the token itself
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.expires_at - invitation.sent_at == INVITATION_VALIDITY


def test_the_mail_is_in_english_for_an_english_speaking_agency(db, world):
    invited(world.other_owner, "new@example.test", "sales", client=world.gamma)
    [sent] = mail.outbox
    assert sent.extra_headers["Content-Language"] == "en"
    assert "invites you to join Gamma Ltd on Pouls, as Sales." in sent.body
    assert "choose your name and password" in sent.body


def test_an_existing_account_reads_the_mail_in_its_own_language(db, world):
    user_create_or_update(email="english@example.test", password=PASSWORD, language="en")
    invited(world.owner, "english@example.test", "viewer", client=world.beta)
    assert mail.outbox[0].extra_headers["Content-Language"] == "en"
    assert "log in with your account to accept" in mail.outbox[0].body


# --- sending twice, members, resend, revoke ------------------------------------------------------------


def test_one_live_invitation_per_person_and_place(db, world):
    invited(world.owner, "twice@example.test", "viewer", client=world.alpha)
    with pytest.raises(DomainError) as refused:
        invited(world.staff, "twice@example.test", "sales", client=world.alpha)
    assert refused.value.field == "email"
    invited(world.owner, "twice@example.test", "viewer", client=world.beta)  # another place is another invitation


def test_an_expired_invitation_is_replaced_by_a_new_one(db, world):
    old, old_token = invited(world.owner, "again@example.test", "viewer", client=world.alpha)
    with time_machine.travel(timezone.now() + INVITATION_VALIDITY + timedelta(minutes=1)):
        new, new_token = invited(world.owner, "again@example.test", "sales", client=world.alpha)
    old.refresh_from_db()
    assert old.status == InvitationStatus.REVOKED and new.status == InvitationStatus.PENDING
    assert new_token != old_token


def test_a_member_is_not_invited_again(db, world):
    with pytest.raises(DomainError) as refused:
        invited(world.owner, world.viewer_alpha.email, "sales", client=world.alpha)
    assert refused.value.field == "email"


def test_resend_draws_a_new_link_and_kills_the_old_one(db, world):
    invitation, old_token = invited(world.owner, "resend@example.test", "viewer", client=world.alpha)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        invitation_resend(invitation=invitation, by=world.staff)
        new_token = token_in(mail.outbox[-1])
        invitation.refresh_from_db()
        assert invitation.expires_at > timezone.now() + timedelta(days=6, hours=23)
    assert new_token != old_token and len(mail.outbox) == 2
    with pytest.raises(DomainError) as dead:
        invitation_accept(token=old_token, full_name="Old Link", password=STRONG_PASSWORD)
    assert dead.value.field == "token"
    accepted = invitation_accept(token=new_token, full_name="New Link", password=STRONG_PASSWORD)
    assert accepted.membership.role == Role.VIEWER


def test_revoked_invitations_cannot_be_resent_or_accepted(db, world):
    invitation, token = invited(world.manager_alpha, "revoked@example.test", "sales", client=world.alpha)
    invitation_revoke(invitation=invitation, by=world.manager_alpha)
    with translation.override("en"), pytest.raises(DomainError, match="withdrawn"):
        invitation_accept(token=token, full_name="Too Late", password=STRONG_PASSWORD)
    with pytest.raises(DomainError) as gone:
        invitation_resend(invitation=invitation, by=world.owner)
    assert gone.value.code == "not_found"


def test_a_manager_cannot_revoke_an_invitation_to_a_role_they_could_not_give(db, world):
    invitation, _ = invited(world.staff, "future-manager@example.test", "manager", client=world.alpha)
    with pytest.raises(DomainError) as refused:
        invitation_revoke(invitation=invitation, by=world.manager_alpha)
    assert refused.value.code == "not_found"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_every_invitation_step_is_in_the_audit_log(db, world):
    invitation, _ = invited(world.owner, "audited@example.test", "viewer", client=world.alpha)
    invitation_resend(invitation=invitation, by=world.owner)
    token = token_in(mail.outbox[-1])
    invitation_accept(token=token, full_name="Audited Person", password=STRONG_PASSWORD)
    other, _ = invited(world.owner, "withdrawn@example.test", "staff", agency=world.agency)
    invitation_revoke(invitation=other, by=world.owner)
    events = list(
        AuditEvent.objects.filter(target__in=["audited@example.test", "withdrawn@example.test"])
        .order_by("at", "id")
        .values_list("action", "actor_email", "client__slug", "agency__name", "target")
    )
    assert events == [
        (AuditAction.INVITATION_SENT, "owner@agence.test", "alpha", "Agence Test", "audited@example.test"),
        (AuditAction.INVITATION_RESENT, "owner@agence.test", "alpha", "Agence Test", "audited@example.test"),
        (AuditAction.INVITATION_ACCEPTED, "audited@example.test", "alpha", "Agence Test", "audited@example.test"),
        (AuditAction.INVITATION_SENT, "owner@agence.test", None, "Agence Test", "withdrawn@example.test"),
        (AuditAction.INVITATION_REVOKED, "owner@agence.test", None, "Agence Test", "withdrawn@example.test"),
    ]


# --- the accept page: a new person ---------------------------------------------------------------------


def test_a_new_person_sets_name_and_password_and_lands_on_that_clients_dashboard_only(db, world, anonymous):
    _, token = invited(world.owner, "newcomer@example.test", "viewer", client=world.alpha)
    page = anonymous.get(f"/invitations/{token}/")
    assert page.status_code == 200 and b'name="password_again"' in page.content
    response = anonymous.post(
        f"/invitations/{token}/",
        {"name": "Nina Newcomer", "password": STRONG_PASSWORD, "password_again": STRONG_PASSWORD},
    )
    assert (response.status_code, response["Location"]) == (302, "/c/alpha/")
    user = User.objects.get(email="newcomer@example.test")
    assert user.full_name == "Nina Newcomer" and user.is_active and user.check_password(STRONG_PASSWORD)
    assert list(Membership.objects.filter(user=user).values_list("client__slug", "role")) == [("alpha", "viewer")]
    # signed in: the dashboard opens, and nothing else
    assert anonymous.get("/c/alpha/").status_code == 200
    assert anonymous.get("/c/beta/").status_code == 404
    assert anonymous.get("/").status_code == 302  # one client: the root sends them to it


def test_the_accept_page_shows_field_errors_and_creates_nobody(db, world, anonymous):
    _, token = invited(world.owner, "weak@example.test", "viewer", client=world.alpha)
    for form, field in [
        ({"name": "", "password": STRONG_PASSWORD, "password_again": STRONG_PASSWORD}, "name"),
        ({"name": "Weak", "password": "12345678", "password_again": "12345678"}, "password"),
        ({"name": "Weak", "password": STRONG_PASSWORD, "password_again": STRONG_PASSWORD + "x"}, "password_again"),
        ({"name": "W" * 201, "password": STRONG_PASSWORD, "password_again": STRONG_PASSWORD}, "name"),
    ]:
        response = anonymous.post(f"/invitations/{token}/", form)
        assert response.status_code == 400, form
        assert f'data-testid="error-{field}"'.encode() in response.content, form
    assert not User.objects.filter(email="weak@example.test").exists()
    assert Invitation.objects.get(email="weak@example.test").status == InvitationStatus.PENDING


def test_the_accept_page_speaks_english_too(db, world, anonymous):
    _, token = invited(world.owner, "bilingual@example.test", "viewer", client=world.alpha)
    anonymous.cookies["django_language"] = "en"
    english = anonymous.post(f"/invitations/{token}/", {"name": "B", "password": "1", "password_again": "1"})
    assert b"This password is too short" in english.content
    anonymous.cookies["django_language"] = "fr"
    french = anonymous.post(f"/invitations/{token}/", {"name": "B", "password": "1", "password_again": "1"})
    assert b"Ce mot de passe est trop court" in french.content


@pytest.mark.parametrize("how", ["forged", "expired", "reused", "revoked", "archived client"])
def test_a_link_that_no_longer_works_is_a_clear_page_never_a_500(db, world, anonymous, how):
    invitation, token = invited(world.owner, "link@example.test", "viewer", client=world.alpha)
    form = {"name": "Late Comer", "password": STRONG_PASSWORD, "password_again": STRONG_PASSWORD}
    expected = {
        "forged": "not valid",
        "expired": "expired",
        "reused": "already been accepted",
        "revoked": "withdrawn",
        "archived client": "no longer available",
    }[how]
    anonymous.cookies["django_language"] = "en"
    if how == "forged":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif how == "reused":
        assert anonymous.post(f"/invitations/{token}/", form).status_code == 302
        anonymous.logout()
        anonymous.cookies["django_language"] = "en"
    elif how == "revoked":
        invitation_revoke(invitation=invitation, by=world.owner)
    elif how == "archived client":
        Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    travel = timezone.now() + (INVITATION_VALIDITY + timedelta(seconds=1) if how == "expired" else timedelta(0))
    with time_machine.travel(travel):
        for response in (anonymous.get(f"/invitations/{token}/"), anonymous.post(f"/invitations/{token}/", form)):
            assert response.status_code == 400
            assert b'data-testid="invitation-invalid"' in response.content
            assert expected.encode() in response.content
    assert Membership.objects.filter(user__email="link@example.test").count() == (1 if how == "reused" else 0)


# --- the accept page: an existing account -------------------------------------------------------------


def test_an_existing_account_signed_in_just_accepts(db, world, http_as):
    _, token = invited(world.owner, world.viewer_beta.email, "sales", client=world.alpha)
    browser = http_as(world.viewer_beta)
    page = browser.get(f"/invitations/{token}/")
    assert page.status_code == 200 and b'name="password"' not in page.content
    response = browser.post(f"/invitations/{token}/")
    assert (response.status_code, response["Location"]) == (302, "/c/alpha/")
    roles = set(Membership.objects.filter(user=world.viewer_beta).values_list("client__slug", "role"))
    assert roles == {("beta", "viewer"), ("alpha", "sales")}
    world.viewer_beta.refresh_from_db()
    assert world.viewer_beta.check_password(PASSWORD)  # untouched


def test_an_existing_account_not_signed_in_accepts_with_its_password(db, world, anonymous):
    _, token = invited(world.owner, world.viewer_beta.email, "viewer", client=world.alpha)
    page = anonymous.get(f"/invitations/{token}/")
    assert b'name="password"' in page.content and b'name="name"' not in page.content
    wrong = anonymous.post(f"/invitations/{token}/", {"password": "not-the-password"})
    assert wrong.status_code == 400 and b'data-testid="error-password"' in wrong.content
    assert not Membership.objects.filter(user=world.viewer_beta, client=world.alpha).exists()
    right = anonymous.post(f"/invitations/{token}/", {"password": PASSWORD})
    assert (right.status_code, right["Location"]) == (302, "/c/alpha/")
    assert anonymous.get("/c/alpha/").status_code == 200  # signed in as the invited account


def test_someone_else_signed_in_cannot_take_an_existing_accounts_invitation(db, world, http_as):
    _, token = invited(world.owner, world.viewer_beta.email, "manager", client=world.alpha)
    intruder = http_as(world.sales_alpha)
    page = intruder.get(f"/invitations/{token}/")
    assert b'name="password"' in page.content  # they would need the invited account's password
    refused = intruder.post(f"/invitations/{token}/", {"password": PASSWORD + "-guess"})
    assert refused.status_code == 400
    assert not Membership.objects.filter(client=world.alpha, role="manager").exclude(user=world.manager_alpha).exists()
    assert Membership.objects.get(user=world.sales_alpha, client=world.alpha).role == "sales"
    with pytest.raises(DomainError) as service_refusal:
        invitation_accept(token=token, user=world.sales_alpha)
    assert service_refusal.value.code == "login_required"


def test_accepting_never_demotes(db, world):
    # the manager of alpha accepts a viewer's invitation to alpha sent before they became manager
    Membership.objects.filter(user=world.manager_alpha, client=world.alpha).delete()
    _, token = invited(world.owner, world.manager_alpha.email, "viewer", client=world.alpha)
    Membership.objects.create(user=world.manager_alpha, client=world.alpha, role="manager")
    accepted = invitation_accept(token=token, user=world.manager_alpha)
    assert accepted.membership.role == "manager"


def test_an_agency_invitation_leads_to_the_portfolio(db, world, anonymous):
    _, token = invited(world.owner, "colleague@example.test", "staff", agency=world.agency)
    response = anonymous.post(
        f"/invitations/{token}/", {"name": "Col League", "password": STRONG_PASSWORD, "password_again": STRONG_PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get(email="colleague@example.test")
    assert Membership.objects.get(user=user).agency == world.agency
    assert anonymous.get("/c/alpha/").status_code == 200 and anonymous.get("/c/beta/").status_code == 200
    assert anonymous.get("/c/gamma/").status_code == 404


# --- the invite page -----------------------------------------------------------------------------------


def test_the_invite_page_offers_only_what_the_rules_allow(db, world, http_as):
    owner_page = http_as(world.owner).get("/people/invite/").content.decode()
    assert 'value="agency:' in owner_page and 'value="client:alpha"' in owner_page
    assert 'value="client:gamma"' not in owner_page
    manager_page = http_as(world.manager_alpha).get("/people/invite/").content.decode()
    assert 'value="client:alpha"' in manager_page and 'value="agency:' not in manager_page
    assert 'value="manager"' not in manager_page and 'value="viewer"' in manager_page
    assert http_as(world.sales_alpha).get("/people/invite/").status_code == 403
    assert http_as(world.outsider).get("/people/invite/").status_code == 403


def test_the_invite_page_sends_and_shows_field_errors(db, world, http_as):
    browser = http_as(world.manager_alpha)
    bad = browser.post("/people/invite/", {"email": "not an email", "role": "viewer", "place": "client:alpha"})
    assert bad.status_code == 400 and b'data-testid="error-email"' in bad.content
    other_client = browser.post(
        "/people/invite/", {"email": "x@example.test", "role": "viewer", "place": "client:beta"}
    )
    assert other_client.status_code == 400 and b'data-testid="error-place"' in other_client.content
    too_high = browser.post("/people/invite/", {"email": "x@example.test", "role": "manager", "place": "client:alpha"})
    assert too_high.status_code == 400 and b'data-testid="error-role"' in too_high.content
    assert mail.outbox == []
    sent = browser.post("/people/invite/", {"email": "x@example.test", "role": "viewer", "place": "client:alpha"})
    assert (sent.status_code, sent["Location"]) == (302, "/people/#client-alpha")
    assert mail.outbox[0].to == ["x@example.test"]
    again = browser.post("/people/invite/", {"email": "x@example.test", "role": "sales", "place": "client:alpha"})
    assert again.status_code == 400 and b'data-testid="error-email"' in again.content


def test_the_invite_page_refuses_mismatched_role_and_place(db, world, http_as):
    browser = http_as(world.owner)
    agency_place = f"agency:{world.agency.pk}"
    client_role_on_agency = browser.post(
        "/people/invite/", {"email": "y@example.test", "role": "viewer", "place": agency_place}
    )
    agency_role_on_client = browser.post(
        "/people/invite/", {"email": "y@example.test", "role": "staff", "place": "client:alpha"}
    )
    for response in (client_role_on_agency, agency_role_on_client):
        assert response.status_code == 400 and b'data-testid="error-role"' in response.content
    assert mail.outbox == []


def test_a_suspended_agency_invites_nobody_and_its_links_stop_working(db, world, anonymous):
    _, token = invited(world.owner, "suspended@example.test", "viewer", client=world.alpha)
    _, agency_token = invited(world.owner, "suspended-staff@example.test", "staff", agency=world.agency)
    Agency.objects.filter(pk=world.agency.pk).update(suspended_at=timezone.now())
    agency = Agency.objects.get(pk=world.agency.pk)
    assert not may_invite(world.owner, "staff", agency=agency)
    assert not may_invite(world.owner, "viewer", client=Client.objects.get(pk=world.alpha.pk))
    anonymous.cookies["django_language"] = "en"
    for link in (token, agency_token):
        response = anonymous.get(f"/invitations/{link}/")
        assert response.status_code == 400 and b"suspended" in response.content


def test_an_empty_post_is_field_errors_not_a_crash(db, world, anonymous, http_as):
    _, token = invited(world.owner, "empty@example.test", "viewer", client=world.alpha)
    accept = anonymous.post(f"/invitations/{token}/", {})
    assert accept.status_code == 400 and b'data-testid="error-name"' in accept.content
    invite = http_as(world.owner).post("/people/invite/", {})
    assert invite.status_code == 400 and b'data-testid="error-email"' in invite.content
