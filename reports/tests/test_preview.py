"""A preview runs chromium inside a web request: it is cached per (schedule, period, updated_at) and
bounded to one rendering per client at a time (an advisory lock held by any web process); a busy or
failing renderer is a 503 the person can act on, never a 500."""

import pytest
from django.core.cache import cache
from django.db import connection

from reports.preview import CLIENT_LOCKS, SITE_LOCKS, SITE_SLOTS
from reports.tests.helpers import english, schedule

API = "/c/alpha/api/v1/reports/"


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_session():
    """A second database session, as another web process would hold."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    yield raw
    raw.close()


def test_a_preview_is_cached_until_the_schedule_changes(http_as, world, in_alpha, settings, clean_cache):
    weekly = schedule()
    browser = http_as(world.manager_alpha)
    url = f"{API}{weekly.pk}/preview/?period_start=2026-11-04"
    first = browser.get(url)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    # chromium gone: the same preview still opens (from the cache), on the page's link too
    settings.POULS_CHROMIUM = "/nonexistent/chromium"
    again = browser.get(url)
    assert again.status_code == 200 and again.content == first.content
    # the schedule edited: its preview is rendered anew (and the missing chromium is a 503, not a 500)
    weekly.name = "Renamed"
    weekly.save()
    failed = english(browser).get(url)
    assert failed.status_code == 503 and failed["Retry-After"]
    assert "could not be rendered" in failed.json()["detail"]


def test_one_preview_renders_at_a_time_per_client(http_as, world, in_alpha, clean_cache, other_session):
    weekly = schedule()
    browser = http_as(world.manager_alpha)
    with other_session.cursor() as cursor:  # another process is rendering this client's preview
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [CLIENT_LOCKS, world.alpha.pk])
    busy = browser.get(f"{API}{weekly.pk}/preview/")
    assert busy.status_code == 503 and busy["Retry-After"] == "10"
    page = browser.get(f"/c/alpha/reports/{weekly.pk}/preview.pdf")
    assert page.status_code == 302  # back to the page, with the message
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")
        # every site slot taken (by other clients' previews): busy too
        for slot in range(SITE_SLOTS):
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [SITE_LOCKS, slot])
    assert browser.get(f"{API}{weekly.pk}/preview/").status_code == 503
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")
    done = browser.get(f"{API}{weekly.pk}/preview/")
    assert done.status_code == 200 and done.content.startswith(b"%PDF")
    # the request released its own locks: another session takes the client's at once
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [CLIENT_LOCKS, world.alpha.pk])
        assert cursor.fetchone()[0] is True
