"""One helper turns a client's zone name into a ZoneInfo, with one fallback (UTC, logged)."""

import logging
import zoneinfo
from types import SimpleNamespace

from tenants.zones import client_zone, zone_named


def test_a_known_zone_is_the_clients():
    # Given a client in Montreal; when its zone is read; then it is Montreal's
    assert client_zone(SimpleNamespace(time_zone="America/Montreal")) == zoneinfo.ZoneInfo("America/Montreal")


def test_an_unknown_zone_falls_back_to_utc_with_a_warning(caplog):
    # Given a zone name that is not in the tz database (edited in SQL, or removed from tzdata)
    with caplog.at_level(logging.WARNING, logger="tenants.zones"):
        # When it is read
        zone = client_zone(SimpleNamespace(time_zone="Mars/Olympus"))
    # Then the client's dates are UTC's and the log says why
    assert zone.key == "UTC"
    assert "Mars/Olympus" in caplog.text


def test_an_empty_or_malformed_name_falls_back_to_utc():
    assert zone_named("").key == "UTC"
    assert zone_named(None).key == "UTC"
    assert zone_named("../etc/passwd").key == "UTC"  # ZoneInfo refuses a path with ValueError
    assert client_zone(object()).key == "UTC"  # no time_zone at all
