"""EMAIL_URL for the providers' HTTP APIs (config/mail_url.py): the settings each URL stands for, a
clear start-up error for a wrong one, and a mail really posted by anymail's backend to the API URL."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.test import override_settings

from config.mail_url import MAILGUN_EU_API, anymail_settings, is_anymail_url
from tests.receivers import http_receiver


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("anymail+sendgrid://SG.key@", "anymail.backends.sendgrid.EmailBackend", {"SENDGRID_API_KEY": "SG.key"}),
        ("anymail+brevo://xkeysib-1@", "anymail.backends.brevo.EmailBackend", {"BREVO_API_KEY": "xkeysib-1"}),
        ("anymail+mailgun://key-1@", "anymail.backends.mailgun.EmailBackend", {"MAILGUN_API_KEY": "key-1"}),
        (
            "anymail+mailgun://key-1@eu",
            "anymail.backends.mailgun.EmailBackend",
            {"MAILGUN_API_KEY": "key-1", "MAILGUN_API_URL": MAILGUN_EU_API},
        ),
        (
            "anymail+mailjet://pub:sec%2Fret@",
            "anymail.backends.mailjet.EmailBackend",
            {"MAILJET_API_KEY": "pub", "MAILJET_SECRET_KEY": "sec/ret"},
        ),
    ],
)
def test_a_provider_url_gives_anymail_s_backend_and_keys(url, backend, options):
    assert is_anymail_url(url)
    assert anymail_settings(url) == (backend, options)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("anymail+postmark://k@", "unknown provider 'postmark'"),
        ("anymail+sendgrid://", "API key is missing"),
        ("anymail+mailjet://pub@", "secret key"),
    ],
)
def test_a_wrong_provider_url_stops_the_start_with_what_is_wrong(url, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        anymail_settings(url)


def test_smtp_and_console_urls_are_left_to_django_environ():
    assert not is_anymail_url("smtp://user:pw@mail.example.com:587")
    assert not is_anymail_url("consolemail://")


# SendGrid's API answers 202 with no body, which the loopback receiver can play; anymail warns that it
# no longer supports SendGrid officially (its backend still ships and works).
@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_anymail_s_backend_posts_the_mail_to_the_provider_api():
    backend, options = anymail_settings("anymail+sendgrid://SG.test-key@")
    with http_receiver(statuses=[202]) as receiver:
        api = {**options, "SENDGRID_API_URL": receiver.base_url + "/v3/"}
        with override_settings(ANYMAIL=api):
            message = EmailMessage(
                "Rapport", "Bonjour", "pouls@example.com", ["ana@example.com"], connection=get_connection(backend)
            )
            message.attach("rapport.pdf", b"%PDF-1.4", "application/pdf")
            assert message.send() == 1
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["authorization"] == "Bearer SG.test-key"
    body = json.loads(request.body)
    assert body["personalizations"][0]["to"] == [{"email": "ana@example.com"}]
    assert body["attachments"][0]["filename"] == "rapport.pdf"
