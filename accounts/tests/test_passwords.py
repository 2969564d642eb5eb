"""Password reset by email (the mail in the recipient's language, the link once only) and password change."""

from __future__ import annotations

import re

from django.core import mail

from accounts.signup import agency_sign_up
from conftest import PASSWORD
from tenants.models import User

RESET_LINK_RE = re.compile(r"https?://[^\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "another-long-passphrase-42"


def reset_path(message) -> str:
    match = RESET_LINK_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def test_reset_mail_then_new_password_then_login(anonymous, world):
    page = anonymous.get("/accounts/password/reset/")
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    response = anonymous.post("/accounts/password/reset/", {"email": "Owner@Agence.test"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert anonymous.get(response["Location"]).status_code == 200
    [message] = mail.outbox
    assert message.to == ["owner@agence.test"]

    form_page = anonymous.get(reset_path(message), follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    done = anonymous.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    assert User.objects.get(pk=world.owner.pk).check_password(NEW_PASSWORD)

    # The link served once.
    again = anonymous.get(reset_path(message), follow=True)
    assert not again.context["validlink"]
    assert b'data-testid="password-reset-link-invalid"' in again.content


def test_the_reset_mail_speaks_the_recipient_language_not_the_page_one(anonymous, world):
    # owner@agence.test works for "Agence Test" (French); owner@other.test for "Other Agency" (English).
    anonymous.post("/accounts/password/reset/", {"email": "owner@agence.test"}, HTTP_ACCEPT_LANGUAGE="en")
    anonymous.post("/accounts/password/reset/", {"email": "owner@other.test"}, HTTP_ACCEPT_LANGUAGE="fr")
    french, english = mail.outbox
    assert french.extra_headers["Content-Language"] == "fr" and "mot de passe" in french.subject
    assert english.extra_headers["Content-Language"] == "en" and "password" in english.subject
    # A personal choice beats the agency's.
    User.objects.filter(pk=world.owner.pk).update(language="en")
    anonymous.post("/accounts/password/reset/", {"email": "owner@agence.test"})
    assert mail.outbox[-1].extra_headers["Content-Language"] == "en"


def test_an_unknown_address_gets_the_same_answer_and_no_mail(anonymous, world):
    response = anonymous.post("/accounts/password/reset/", {"email": "nobody@nowhere.test"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_an_unconfirmed_owner_asking_for_a_reset_gets_the_confirmation_link(anonymous, db):
    agency_sign_up(
        agency_name="Pending Agency", full_name="Pat", email="pat@pending.test", password=PASSWORD, language="en"
    )
    mail.outbox.clear()
    anonymous.post("/accounts/password/reset/", {"email": "pat@pending.test"})
    [message] = mail.outbox
    assert "/signup/confirm/" in message.body


def test_reset_mails_to_one_address_are_limited(anonymous, world):
    for _ in range(5):
        anonymous.post("/accounts/password/reset/", {"email": "owner@agence.test"})
    assert len(mail.outbox) == 3


def test_forged_reset_links_show_the_invalid_page(anonymous, world):
    for path in [
        "/accounts/password/reset/MQ/set-password/",
        "/accounts/password/reset/zzzz/abc-def/",
        "/accounts/password/reset/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/",  # 9999…: beyond a bigint
    ]:
        response = anonymous.get(path, follow=True)
        assert response.status_code == 200 and not response.context["validlink"], path


def test_bad_reset_input_is_a_form_error(anonymous, world):
    for data in [{}, {"email": "not-an-email"}, {"email": "x" * 5000 + "@a.test"}]:
        response = anonymous.post("/accounts/password/reset/", data)
        assert response.status_code == 200 and response.context["form"].errors
    assert mail.outbox == []


def test_password_change_keeps_the_session_and_checks_the_old_password(http_as, world):
    browser = http_as(world.staff)
    assert browser.get("/accounts/password/change/").status_code == 200
    wrong = browser.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and list(wrong.context["form"].errors) == ["old_password"]
    weak = browser.post(
        "/accounts/password/change/", {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert "new_password2" in weak.context["form"].errors
    done = browser.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/profile/"
    assert User.objects.get(pk=world.staff.pk).check_password(NEW_PASSWORD)
    assert browser.get("/accounts/profile/").status_code == 200  # still signed in


def test_password_change_needs_a_login(anonymous):
    assert anonymous.get("/accounts/password/change/")["Location"].startswith("/accounts/login/")
