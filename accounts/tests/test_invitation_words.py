"""Invitation mails and messages in the reader's words (issue 14, "Words"): the expiry date is the
client's calendar day, and names after "of" read as French writes them."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.core import mail

from accounts.tests.invitation_helpers import invited


def test_the_expiry_date_is_the_clients_day_not_the_servers(db, world):
    # Sent at 03:00 UTC: it expires on 10 December at 03:00 UTC, still 9 December in Montreal (beta's zone).
    with time_machine.travel(datetime(2026, 12, 3, 3, 0, tzinfo=UTC), tick=False):
        invited(world.owner, "new@example.test", "viewer", client=world.beta)
        invited(world.owner, "other@example.test", "viewer", client=world.alpha)
    beta, alpha = mail.outbox
    assert "9 décembre 2026" in beta.body
    assert "10 décembre 2026" not in beta.body
    assert "10 décembre 2026" in alpha.body  # 04:00 in Paris
    for sent in (beta, alpha):
        assert "2026-12-10" not in sent.body and "T03:00" not in sent.body


def test_a_wrong_password_names_the_account_as_french_writes_it(http_as, world):
    invitation, token = invited(world.owner, "owner@other.test", "viewer", client=world.alpha)
    browser = http_as(None)
    browser.cookies["django_language"] = "fr"
    response = browser.post(f"/invitations/{token}/", {"password": "not-the-password"})
    assert response.status_code == 400
    assert "Ce n&#x27;est pas le mot de passe d&#x27;owner@other.test." in response.content.decode()


def test_the_people_page_shows_each_invitations_expiry_on_its_clients_day(http_as, world):
    with time_machine.travel(datetime(2026, 12, 3, 3, 0, tzinfo=UTC), tick=False):
        invited(world.owner, "new@example.test", "viewer", client=world.beta)
        invited(world.owner, "other@example.test", "viewer", client=world.alpha)
        browser = http_as(world.owner)
        browser.cookies["django_language"] = "fr"
        html = browser.get("/people/").content.decode()
    beta = html[html.index('data-invitation="new@example.test"') :]
    alpha = html[html.index('data-invitation="other@example.test"') :]
    assert "Valable jusqu'au 09/12/2026" in beta[:600]  # Montreal: still the 9th
    assert "Valable jusqu'au 10/12/2026" in alpha[:600]  # Paris: 04:00 on the 10th
