"""Brute force is stopped: ten failed passwords for one email from one address lock that pair for
15 minutes on every login (the login page, the platform admin, the token API), the right password
included; the answer says so in the visitor's language and never tells which emails have accounts.
The same story through two real server processes is in tests/test_lockout_processes.py."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from conftest import PASSWORD

LOGIN = "/accounts/login/"
TOKENS = "/api/v1/tokens/"
LOCK_SECONDS = 15 * 60


def _login(http: HttpClient, email: str, password: str, **extra):
    return http.post(LOGIN, {"username": email, "password": password}, **extra)


def _fail(http: HttpClient, email: str, times: int, **extra) -> list[int]:
    return [_login(http, email, f"wrong-{i}", **extra).status_code for i in range(times)]


def _retry_after(response) -> int:
    seconds = int(response["Retry-After"])
    assert LOCK_SECONDS - 60 < seconds <= LOCK_SECONDS
    return seconds


def test_ten_failed_passwords_lock_the_email_from_that_address_even_for_the_right_password(db, world):
    browser = HttpClient()
    # given nine failed passwords (the email typed any way: it is the same account)
    assert _fail(browser, "Manager@Alpha.test", 5) + _fail(browser, " manager@alpha.test", 4) == [200] * 9
    # when the tenth fails
    tenth = _login(browser, "manager@alpha.test", "wrong-10")
    # then the pair is locked: the tenth and the right password get the login page with the reason, in French
    assert tenth.status_code == 429
    right = _login(browser, "manager@alpha.test", PASSWORD)
    assert right.status_code == 429
    _retry_after(right)
    page = right.content.decode()
    assert 'data-testid="locked-out"' in page
    assert "Trop d&#x27;échecs de connexion pour cet e-mail depuis votre adresse. Réessayez dans 15 minutes." in page
    assert '<form method="post" action="/accounts/login/">' in page
    assert "_auth_user_id" not in browser.session


def test_the_lock_ends_after_fifteen_minutes(db, world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    browser = HttpClient()
    _fail(browser, "sales@alpha.test", 10)
    time_machine.shift(timedelta(minutes=14))
    assert _login(browser, "sales@alpha.test", PASSWORD).status_code == 429
    time_machine.shift(timedelta(minutes=1, seconds=1))
    assert _login(browser, "sales@alpha.test", PASSWORD).status_code == 302


def test_the_lockout_page_speaks_english_to_an_english_browser(db, world):
    browser = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    _fail(browser, "sales@alpha.test", 10)
    page = _login(browser, "sales@alpha.test", PASSWORD).content.decode()
    assert "Too many failed logins for this email from your address. Try again in 15 minutes." in page


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(db, world, settings):
    # given no trusted proxy (the default) and a caller who makes up a new X-Forwarded-For every time
    assert settings.POULS_TRUSTED_PROXY_COUNT == 0
    browser = HttpClient()
    statuses = [
        _login(browser, "staff@agence.test", f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(10)
    ]
    # then the tenth locks the pair all the same, and a fresh made-up address changes nothing
    assert statuses == [200] * 9 + [429]
    assert _login(browser, "staff@agence.test", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_another_address_and_another_email_are_not_locked(db, world):
    # given staff@ locked from 127.0.0.1
    _fail(HttpClient(), "staff@agence.test", 10)
    # when the same person logs in from another address: then they get in
    elsewhere = HttpClient(REMOTE_ADDR="192.0.2.10")
    assert _login(elsewhere, "staff@agence.test", PASSWORD).status_code == 302
    # and another email from the locked address gets in too
    assert _login(HttpClient(), "owner@agence.test", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_visitor_is_the_address_the_proxy_saw(db, world, settings):
    # given one proxy of ours, which appends the address it received each request from
    settings.POULS_TRUSTED_PROXY_COUNT = 1
    proxy = HttpClient(REMOTE_ADDR="10.0.0.2")
    # when a visitor fails ten times, making up whatever they like to the left of the proxy's entry
    statuses = [
        _login(proxy, "viewer@alpha.test", "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 198.51.100.20").status_code
        for i in range(10)
    ]
    # then that visitor is locked, and another visitor behind the same proxy is not
    assert statuses == [200] * 9 + [429]
    locked = _login(proxy, "viewer@alpha.test", PASSWORD, HTTP_X_FORWARDED_FOR="7.7.7.7, 198.51.100.20")
    assert locked.status_code == 429
    assert _login(proxy, "viewer@alpha.test", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.21").status_code == 302


def _without_tokens(page: str, email: str) -> str:
    """A page without what differs by design between two requests: the CSRF token and the typed email."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page).replace(email, "EMAIL")


def test_an_unknown_email_is_counted_and_answered_exactly_like_a_known_one(db, world):
    # given ten failures for an email that has an account and ten for one that has none
    pages = {}
    for email in ("viewer@beta.test", "nobody-here@beta.test"):
        browser = HttpClient(REMOTE_ADDR="192.0.2.30")
        statuses = _fail(browser, email, 10)
        # then both are refused and locked at the same count, with the same page, word for word
        assert statuses == [200] * 9 + [429]
        locked = _login(browser, email, "x")
        assert locked.status_code == 429
        pages[email] = _without_tokens(locked.content.decode(), email)
    assert pages["viewer@beta.test"] == pages["nobody-here@beta.test"]


def test_the_platform_admin_login_is_locked_too(db, world):
    from tenants.models import User

    User.objects.create_superuser("platform@pouls.test", "a-long-staff-password")
    browser = HttpClient()
    statuses = [
        browser.post(
            "/admin/login/?next=/admin/", {"username": "platform@pouls.test", "password": f"no-{i}"}
        ).status_code
        for i in range(10)
    ]
    assert statuses == [200] * 9 + [429]
    right = browser.post(
        "/admin/login/?next=/admin/", {"username": "platform@pouls.test", "password": "a-long-staff-password"}
    )
    assert right.status_code == 429
    _retry_after(right)
    page = right.content.decode()
    assert "Réessayez dans 15 minutes" in page and 'name="next" value="/admin/"' in page
    assert browser.get("/admin/").status_code == 302  # not signed in
    # and the product's login page refuses the same pair
    assert _login(browser, "platform@pouls.test", "a-long-staff-password").status_code == 429


def test_a_clients_admin_login_checks_no_password_it_sends_to_the_one_login(db, world):
    # /c/<slug>/admin/login/ is a redirect to the product's login: there is nothing to guess there
    response = HttpClient().post("/c/alpha/admin/login/", {"username": "manager@alpha.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


def test_the_counts_live_in_the_public_schema_and_are_reached_from_a_clients_urls(http_as, world):
    # given a count of failures (at the root)
    _fail(HttpClient(), "manager@alpha.test", 3)
    # when a manager signs out through alpha's admin (django-axes cleans its counts on every sign-out)
    assert http_as(world.manager_alpha).post("/c/alpha/admin/logout/").status_code == 302
    # then it worked from alpha's schema, the tables being the public schema's alone
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name LIKE 'axes\\_%%'"
            " OR table_name = 'pouls_throttle_cache'"
        )
        assert cursor.fetchall() == [("public",)]


# --- The token API ------------------------------------------------------------------------------


def _token(http: HttpClient, email: str | None, password: str | None, **fields):
    body = {k: v for k, v in {"email": email, "password": password, **fields}.items() if v is not None}
    return http.post(TOKENS, body, content_type="application/json")


def test_the_token_api_locks_with_a_429_and_retry_after(db, world):
    script = HttpClient()
    statuses = [_token(script, "sales@alpha.test", f"wrong-{i}").status_code for i in range(10)]
    assert set(statuses[:9]) <= {401, 403} and len(set(statuses[:9])) == 1
    assert statuses[9] == 429
    right = _token(script, "sales@alpha.test", PASSWORD)
    assert right.status_code == 429
    assert right["Content-Type"] == "application/json"
    _retry_after(right)
    assert "Réessayez dans 15 minutes" in right.json()["detail"]
    # and the login page refuses the same pair: one count per (email, address), whatever the door
    assert _login(HttpClient(), "sales@alpha.test", PASSWORD).status_code == 429


def test_the_token_api_answers_an_unknown_email_like_a_wrong_password(db, world):
    script = HttpClient()
    wrong = _token(script, "sales@alpha.test", "wrong")
    unknown = _token(script, "nobody-here@alpha.test", "wrong")
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())


def test_a_token_needs_the_password_even_in_a_signed_in_session(http_as, world):
    browser = http_as(world.sales_alpha)
    # a session alone is not enough
    refused = _token(browser, None, None)
    assert refused.status_code == 400 and "password" in refused.json()
    assert _token(browser, None, "wrong").status_code in (401, 403)
    # with the password, the token is the signed-in user's
    made = _token(browser, None, PASSWORD)
    assert made.status_code == 201
    from knox.models import AuthToken

    assert AuthToken.objects.get(token_key=made.json()["token_key"]).user == world.sales_alpha


def test_a_token_lives_at_most_api_token_ttl_days_and_by_default_that_long(db, world, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    script = HttpClient()
    # longer than the setting: a field error
    too_long = _token(script, "sales@alpha.test", PASSWORD, expires_in_days=31)
    assert too_long.status_code == 400 and "expires_in_days" in too_long.json()
    # nothing asked: the setting's lifetime; less asked: less
    for asked, days in ((None, 30), (7, 7), (30, 30)):
        made = _token(script, "sales@alpha.test", PASSWORD, expires_in_days=asked)
        assert made.status_code == 201
        expiry = timezone.datetime.fromisoformat(made.json()["expiry"])
        assert abs(expiry - (timezone.now() + timedelta(days=days))) < timedelta(minutes=1)


def test_the_token_throttle_counts_per_address_in_the_shared_table(db, world):
    # given twenty token requests from one address, each for another email and with a made-up X-Forwarded-For
    script = HttpClient()
    statuses = [
        _token(script, f"spray-{i}@example.test", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(20)
    ]
    assert 429 not in statuses
    # when one more comes: then it is throttled
    throttled = _token(script, "spray-20@example.test", "guess", HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    # and the count lives in PostgreSQL (every process reads it), under the caller's real address
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM pouls_throttle_cache WHERE cache_key LIKE %s", ["%token_create%"])
        keys = [key for (key,) in cursor.fetchall()]
    assert len(keys) == 1 and keys[0].endswith("127.0.0.1")
