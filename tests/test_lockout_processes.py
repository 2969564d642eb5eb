"""The login lockout holds across processes: two gunicorn servers (two workers each) on the test
database, requests alternating between them, like a load balancer would send them. Whatever door the
failures came through (the login page, the platform admin, the token API), the right password is then
refused at every door of both servers; a made-up X-Forwarded-For does not escape it; another address
(a real one: the connection's source, 127.0.0.2) is not locked."""

from __future__ import annotations

import http.client
import json
import secrets
from itertools import cycle
from urllib.parse import urlencode

import pytest
from django.db import connection

from conftest import PASSWORD
from tests.processes import free_port, start_web, stop

CSRF = secrets.token_hex(16)  # 32 characters: Django accepts the cookie's secret itself as the form token
LOCK_SECONDS = 15 * 60


@pytest.fixture(scope="module")
def two_servers(django_db_setup, tmp_path_factory):
    ports = [free_port(), free_port()]
    logs = tmp_path_factory.mktemp("lockout")
    processes = [start_web(port, logs / f"gunicorn-{port}.log") for port in ports]
    yield ports
    for process in processes:
        stop(process)


@pytest.fixture
def clean_counts(committed, django_db_blocker):
    """The servers commit their counts: start and end each test without any (other tests log in too)."""

    def forget():
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM axes_accessattempt")
            cursor.execute("DELETE FROM pouls_throttle_cache")

    forget()
    yield committed
    forget()


def _call(
    port: int,
    method: str,
    path: str,
    *,
    form: dict | None = None,
    body: dict | None = None,
    headers: dict | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, dict, str]:
    headers = {"Accept-Language": "fr", **(headers or {})}
    payload = None
    if form is not None:
        payload = urlencode({**form, "csrfmiddlewaretoken": CSRF})
        headers |= {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={CSRF}"}
    elif body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        connection_.request(method, path, body=payload, headers=headers)
        response = connection_.getresponse()
        return response.status, dict(response.headers), response.read().decode()
    finally:
        connection_.close()


def _login_page(port, email, password, **kwargs):
    return _call(
        port, "POST", "/accounts/login/", form={"username": email, "password": password, "next": "/"}, **kwargs
    )


def _admin_login(port, email, password, **kwargs):
    return _call(port, "POST", "/admin/login/?next=/admin/", form={"username": email, "password": password}, **kwargs)


def _token_api(port, email, password, **kwargs):
    return _call(port, "POST", "/api/v1/tokens/", body={"email": email, "password": password}, **kwargs)


DOORS = {"login page": _login_page, "platform admin": _admin_login, "token API": _token_api}
REFUSED = {"login page": {200}, "platform admin": {200}, "token API": {401, 403}}


@pytest.mark.parametrize(
    ("door", "email"),
    [("login page", "manager@alpha.test"), ("platform admin", "staff@agence.test"), ("token API", "sales@alpha.test")],
)
def test_ten_failures_through_two_servers_lock_the_pair_at_every_door(two_servers, clean_counts, door, email):
    servers = cycle(two_servers)
    # given nine failed passwords through one door, alternating between the two servers
    knock = DOORS[door]
    first_nine = [knock(next(servers), email, f"wrong-{i}")[0] for i in range(9)]
    assert set(first_nine) <= REFUSED[door] and len(set(first_nine)) == 1
    # when the tenth fails: then the pair is locked
    assert knock(next(servers), email, "wrong-10")[0] == 429
    # and the right password is refused at every door of both servers, saying why and for how long
    for port in two_servers:
        status, headers, page = _login_page(port, email, PASSWORD)
        assert status == 429 and LOCK_SECONDS - 60 < int(headers["Retry-After"]) <= LOCK_SECONDS
        assert "Réessayez dans 15 minutes" in page and "Location" not in headers
        status, headers, page = _admin_login(port, email, PASSWORD)
        assert status == 429 and "Réessayez dans 15 minutes" in page
        status, headers, body = _token_api(port, email, PASSWORD)
        assert status == 429 and LOCK_SECONDS - 60 < int(headers["Retry-After"]) <= LOCK_SECONDS
        assert "Réessayez dans 15 minutes" in json.loads(body)["detail"]
    # a made-up X-Forwarded-For changes nothing (no trusted proxy in front of these servers)
    for i, port in enumerate(two_servers):
        assert _login_page(port, email, PASSWORD, headers={"X-Forwarded-For": f"203.0.113.{i}"})[0] == 429
        assert _token_api(port, email, PASSWORD, headers={"X-Forwarded-For": f"198.51.100.{i}"})[0] == 429
    # while the same person from another address gets in
    status, headers, _page = _login_page(two_servers[1], email, PASSWORD, source="127.0.0.2")
    assert (status, headers.get("Location")) == (302, "/")
    assert _token_api(two_servers[0], email, PASSWORD, source="127.0.0.2")[0] == 201


def test_failures_with_rotating_x_forwarded_for_through_two_servers_still_lock(two_servers, clean_counts):
    servers = cycle(two_servers)
    statuses = [
        _login_page(next(servers), "owner@agence.test", "wrong", headers={"X-Forwarded-For": f"192.0.2.{i}"})[0]
        for i in range(10)
    ]
    assert statuses == [200] * 9 + [429]
    assert _login_page(next(servers), "owner@agence.test", PASSWORD)[0] == 429
