"""accounts.mail: one mail, in the recipient's language, text with an optional HTML alternative."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.mail import absolute_url, recipient_language, send_mail_to
from tenants.services import user_create_or_update


@pytest.fixture
def mail_templates(tmp_path, settings):
    """Three small templates in a folder of the test's own."""
    (tmp_path / "subject.txt").write_text('{% load i18n %}{% translate "French" %}\n for {{ name }}\n')
    (tmp_path / "body.txt").write_text('{% load i18n %}{% translate "English" %}: {{ name }} {{ link }}\n')
    (tmp_path / "body.html").write_text("<p>{{ name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    return tmp_path


def _send(recipient, **kwargs):
    return send_mail_to(
        recipient,
        subject_template="subject.txt",
        body_template="body.txt",
        context={"name": "Dupont & Fils", "link": absolute_url("/x/")},
        **kwargs,
    )


def test_a_mail_to_an_unknown_address_speaks_the_callers_language_unescaped_with_absolute_links(
    db, mail_templates, settings
):
    settings.POULS_PUBLIC_URL = "https://pouls.example"
    settings.DEFAULT_FROM_EMAIL = "Pouls <hello@pouls.example>"
    assert _send("  New@Example.TEST ", language="en", html_template="body.html") is True
    [sent] = mail.outbox
    assert sent.to == ["new@example.test"]
    assert sent.from_email == "Pouls <hello@pouls.example>"
    assert sent.subject == "French for Dupont & Fils"
    assert sent.body == "English: Dupont & Fils https://pouls.example/x/\n"
    assert sent.extra_headers["Content-Language"] == "en"
    assert sent.alternatives[0].content == "<p>Dupont &amp; Fils</p>"


def test_a_mail_in_french_without_html(db, mail_templates):
    _send("nouveau@example.test", language="fr")
    [sent] = mail.outbox
    assert sent.subject == "Français for Dupont & Fils"
    assert sent.body.startswith("Anglais: ")
    assert sent.alternatives == []


def test_the_recipients_own_language_wins_over_the_callers(db, world, mail_templates):
    user, _ = user_create_or_update(email="speaks-english@example.test", password=None, language="en")
    assert recipient_language(user, "fr") == "en"
    _send("speaks-english@example.test", language="fr")
    assert mail.outbox[0].body.startswith("English: ")


def test_without_any_choice_the_agency_default_then_the_site_default(db, world, settings):
    # the agency's owner has no language of their own; their agency speaks French; the other agency English
    assert recipient_language(world.owner) == "fr"
    assert recipient_language(world.other_owner) == "en"
    assert recipient_language(world.other_owner.email, "fr") == "fr"  # the caller's guess comes before it
    settings.LANGUAGE_CODE = "en"
    assert recipient_language(world.outsider) == "en"
    assert recipient_language("nobody-at-all@example.test") == "en"


def test_a_mail_server_that_refuses_is_logged_not_raised(db, mail_templates, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    assert _send("someone@example.test") is False
    assert "could not be sent" in caplog.text
