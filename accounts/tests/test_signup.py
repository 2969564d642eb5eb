"""Sign-up of a new agency: the form, the confirmation mail and its link (forged, expired, reused),
duplicates, the audit event and the sign-up quota."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django.utils.http import int_to_base36

from accounts.signup import agency_sign_up
from accounts.signup_tokens import confirmation_token_make
from audit.models import AuditAction, AuditEvent
from config.errors import DomainError
from conftest import PASSWORD
from tenants.models import Agency, Membership, Role, User

LINK_RE = re.compile(r"https?://[^\s]+/signup/confirm/([^/\s]+)/")


def signup_data(**overrides) -> dict:
    return {
        "agency_name": "Nouvelle Agence",
        "full_name": "Camille Martin",
        "email": "camille@nouvelle.test",
        "password": PASSWORD,
        **overrides,
    }


def confirmation_path(message) -> str:
    match = LINK_RE.search(message.body)
    assert match, message.body
    return f"/signup/confirm/{match.group(1)}/"


@pytest.fixture
def signed_up(db) -> User:
    """An owner who signed up (in English) and has not confirmed yet; the mail is in the outbox."""
    return agency_sign_up(language="en", **signup_data())


def test_sign_up_then_the_link_of_the_mail_confirms_logs_in_and_opens_the_empty_portfolio(anonymous):
    page = anonymous.get("/signup/")
    assert page.status_code == 200
    assert b'name="agency_name"' in page.content and b"csrfmiddlewaretoken" in page.content

    response = anonymous.post("/signup/", signup_data(email=" Camille@Nouvelle.TEST "))
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    assert anonymous.get("/signup/sent/").status_code == 200

    user = User.objects.get(email="camille@nouvelle.test")
    assert not user.is_active and user.full_name == "Camille Martin"
    agency = Agency.objects.get(name="Nouvelle Agence")
    assert Membership.objects.filter(user=user, agency=agency, role=Role.OWNER).count() == 1
    # Not logged in before the email is confirmed.
    assert anonymous.get("/")["Location"].startswith("/accounts/login/")

    [message] = mail.outbox
    assert message.to == ["camille@nouvelle.test"]
    confirm = anonymous.get(confirmation_path(message))
    assert confirm.status_code == 302 and confirm["Location"] == "/"
    user.refresh_from_db()
    assert user.is_active and user.last_login is not None

    home = anonymous.get("/")
    assert home.status_code == 200
    assert b'data-testid="first-steps"' in home.content


def test_the_sign_up_is_recorded_in_the_agency_audit_log(signed_up):
    event = AuditEvent.objects.get(action=AuditAction.AGENCY_SIGNED_UP)
    assert event.agency.name == "Nouvelle Agence"
    assert event.actor_id == signed_up.pk and event.target == "camille@nouvelle.test"


def test_the_confirmation_mail_speaks_the_language_of_the_sign_up_page(anonymous):
    anonymous.post("/signup/", signup_data(), HTTP_ACCEPT_LANGUAGE="fr")
    anonymous.post(
        "/signup/", signup_data(agency_name="Agency Two", email="two@agency.test"), HTTP_ACCEPT_LANGUAGE="en"
    )
    french, english = mail.outbox
    assert "Confirmez" in french.subject and french.extra_headers["Content-Language"] == "fr"
    assert "Confirm your email" in english.subject and english.extra_headers["Content-Language"] == "en"
    assert Agency.objects.get(name="Agency Two").default_language == "en"


def test_a_used_link_does_not_work_twice(signed_up, anonymous):
    path = confirmation_path(mail.outbox[0])
    assert anonymous.get(path).status_code == 302
    anonymous.post("/accounts/logout/")
    again = anonymous.get(path)
    assert again.status_code == 400
    assert b'data-testid="signup-link-invalid"' in again.content


def test_an_expired_link_is_refused_and_leaves_the_account_closed(signed_up, anonymous):
    path = confirmation_path(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = anonymous.get(path)
    assert response.status_code == 400
    signed_up.refresh_from_db()
    assert not signed_up.is_active


def test_a_link_still_works_just_before_three_days(signed_up, anonymous):
    path = confirmation_path(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        assert anonymous.get(path).status_code == 302


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "zz-zz-zz",
        "1-abc-def",
        "zzzzzzzzzzzz-c1m2n3-0123456789abcdef",  # a user id beyond PostgreSQL's bigint
        "-",
        "a" * 300,
    ],
)
def test_forged_links_get_the_invalid_page_never_an_error(signed_up, anonymous, token):
    response = anonymous.get(f"/signup/confirm/{token}/")
    assert response.status_code == 400
    signed_up.refresh_from_db()
    assert not signed_up.is_active


def test_a_link_made_for_someone_else_does_not_confirm_this_account(signed_up, anonymous):
    # Another (inactive) user's genuine token with this user's id in front: the hash does not match.
    other = agency_sign_up(language="en", **signup_data(agency_name="Other One", email="other@one.test"))
    _, rest = confirmation_token_make(other).split("-", 1)
    response = anonymous.get(f"/signup/confirm/{int_to_base36(signed_up.pk)}-{rest}/")
    assert response.status_code == 400
    assert not User.objects.get(pk=signed_up.pk).is_active


def test_a_user_deactivated_after_logging_in_cannot_reopen_the_account_with_a_link(signed_up, anonymous):
    signed_up.last_login = timezone.now()
    signed_up.save()
    token = confirmation_token_make(signed_up)
    assert anonymous.get(f"/signup/confirm/{token}/").status_code == 400
    assert not User.objects.get(pk=signed_up.pk).is_active


def test_an_agency_name_already_taken_is_a_field_error_whatever_its_case(anonymous, world):
    response = anonymous.post("/signup/", signup_data(agency_name="  agence   TEST "))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["agency_name"]
    assert "already has an account" in errors["agency_name"][0] or "déjà un compte" in errors["agency_name"][0]
    assert not User.objects.filter(email="camille@nouvelle.test").exists()
    assert mail.outbox == []


def test_the_service_gives_the_same_message_as_the_page(anonymous, world):
    page_error = anonymous.post("/signup/", signup_data(agency_name="Agence Test")).context["form"].errors
    with pytest.raises(DomainError) as raised:
        agency_sign_up(language="fr", **signup_data(agency_name="Agence Test"))
    assert raised.value.field == "agency_name"
    assert page_error["agency_name"] == [raised.value.message]


def test_an_email_that_already_has_an_account_is_refused(anonymous, world):
    response = anonymous.post("/signup/", signup_data(email="OWNER@agence.test"))
    assert list(response.context["form"].errors) == ["email"]
    assert not Agency.objects.filter(name="Nouvelle Agence").exists()


def test_every_field_error_shows_at_once_and_nothing_is_written(anonymous):
    response = anonymous.post(
        "/signup/", {"agency_name": " ", "full_name": "", "email": "not-an-email", "password": "123"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"agency_name", "full_name", "email", "password"}
    assert b'data-testid="errors-password"' in response.content
    assert not Agency.objects.filter(name="").exists() and mail.outbox == []


def test_django_password_validators_apply(anonymous):
    response = anonymous.post("/signup/", signup_data(password="camille@nouvelle.test"))
    assert list(response.context["form"].errors) == ["password"]
    response = anonymous.post("/signup/", signup_data(password="password"))
    assert list(response.context["form"].errors) == ["password"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"agency_name": "x" * 5000, "full_name": "y" * 5000, "email": "z" * 5000 + "@a.test", "password": "p" * 5000},
        {"agency_name": "A\x00B", "full_name": "C", "email": "c@d.test", "password": PASSWORD},
        {"agency_name": "Agency", "full_name": "C", "email": "c@d.test"},
    ],
)
def test_bad_input_is_a_form_error_never_a_server_error(anonymous, data):
    response = anonymous.post("/signup/", data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert mail.outbox == []


def test_the_sign_up_needs_the_csrf_token(db):
    from django.test import Client as HttpClient

    browser = HttpClient(enforce_csrf_checks=True)
    assert browser.post("/signup/", signup_data()).status_code == 403
    assert not Agency.objects.filter(name="Nouvelle Agence").exists()


def test_sign_ups_from_one_address_are_limited(anonymous):
    for number in range(5):
        response = anonymous.post("/signup/", signup_data(agency_name=f"Agency {number}", email=f"a{number}@x.test"))
        assert response.status_code == 302
    refused = anonymous.post("/signup/", signup_data(agency_name="Agency 6", email="a6@x.test"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not Agency.objects.filter(name="Agency 6").exists()
    assert len(mail.outbox) == 5


def test_a_signed_in_person_is_sent_home_from_the_sign_up(http_as, world):
    assert http_as(world.owner).get("/signup/")["Location"] == "/"
