"""The login page of an account that awaits its email confirmation: it says so (to whoever knows the
password only) and sends the link again, within the mail quota."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.signup import agency_sign_up
from conftest import PASSWORD
from tenants.models import User

GENERIC = b"Your email and password didn"


@pytest.fixture
def unconfirmed(db) -> User:
    user = agency_sign_up(
        agency_name="Pending Agency",
        full_name="Pat Pending",
        email="pat@pending.test",
        password=PASSWORD,
        language="en",
    )
    mail.outbox.clear()
    return user


def login(browser, email: str, password: str):
    return browser.post("/accounts/login/", {"username": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def test_an_unconfirmed_account_with_the_right_password_is_told_to_confirm(anonymous, unconfirmed):
    response = login(anonymous, "Pat@Pending.test", PASSWORD)
    assert response.status_code == 200
    assert b'data-testid="login-refused"' in response.content
    assert b"not confirmed yet" in response.content
    assert b'data-testid="resend-confirmation"' in response.content and GENERIC not in response.content
    assert "_auth_user_id" not in anonymous.session


def test_a_wrong_password_on_an_unconfirmed_account_keeps_the_generic_answer(anonymous, unconfirmed):
    response = login(anonymous, "pat@pending.test", "not-the-password")
    assert GENERIC in response.content
    assert b"login-refused" not in response.content and b"resend-confirmation" not in response.content


def test_unknown_emails_and_wrong_passwords_keep_the_generic_answer(anonymous, world):
    for email, password in [("nobody@nowhere.test", PASSWORD), ("owner@agence.test", "wrong")]:
        response = login(anonymous, email, password)
        assert GENERIC in response.content and b"login-refused" not in response.content


def test_the_login_page_sends_the_confirmation_again_and_the_new_link_works(anonymous, unconfirmed):
    response = anonymous.post("/accounts/confirmation/resend/", {"email": "pat@pending.test"})
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    [message] = mail.outbox
    assert message.to == ["pat@pending.test"] and "Confirm your email" in message.subject
    path = message.body.split("/signup/confirm/", 1)[1].split("/", 1)[0]
    assert anonymous.get(f"/signup/confirm/{path}/").status_code == 302
    assert login(anonymous, "pat@pending.test", PASSWORD).status_code == 302


def test_resending_answers_alike_for_any_address_and_mails_only_an_unconfirmed_account(anonymous, world, unconfirmed):
    for email in ["owner@agence.test", "nobody@nowhere.test", "not an email"]:
        response = anonymous.post("/accounts/confirmation/resend/", {"email": email})
        assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    assert mail.outbox == []
    assert anonymous.get("/accounts/confirmation/resend/").status_code == 405


def test_confirmation_mails_to_one_address_are_limited(anonymous, unconfirmed):
    for _ in range(5):
        anonymous.post("/accounts/confirmation/resend/", {"email": "pat@pending.test"})
    # The sign-up's own mail counted too (cleared from the outbox by the fixture): 3 an hour in all.
    assert len(mail.outbox) == 2
