"""An agency's first platform connection gets it the default rule on broken or silent sources
(docs/connectors.md, "Health"): a broken connector should not wait for someone to think of a rule."""

from __future__ import annotations

from alerts.services import CONNECTOR_STALE_DAYS, agency_rule_create
from connectors.oauth import Grant
from connectors.services import connection_connect
from portfolio.alert_rule_fields import AlertKind, StaleSource
from portfolio.models import AgencyAlertRule


def _connector_rules(agency):
    return list(AgencyAlertRule.objects.filter(agency=agency, kind=AlertKind.STALE, stale_source=StaleSource.CONNECTOR))


def test_the_first_connection_adds_the_rule_mailing_who_connected_and_a_reconnection_adds_none(db, world):
    connection_connect(agency=world.agency, provider="google", grant=Grant(access_token="a1"), actor=world.staff)
    connection_connect(agency=world.agency, provider="google", grant=Grant(access_token="a2"), actor=world.owner)
    connection_connect(agency=world.agency, provider="meta", grant=Grant(access_token="m1"), actor=world.owner)

    rules = _connector_rules(world.agency)
    assert len(rules) == 1
    assert rules[0].stale_days == CONNECTOR_STALE_DAYS
    assert rules[0].channels == [{"type": "email", "to": world.staff.email}]
    assert rules[0].active
    assert _connector_rules(world.other_agency) == []


def test_an_agency_already_watching_its_sources_keeps_its_own_rule(db, world):
    own = agency_rule_create(
        {
            "kind": "stale",
            "stale_source": "connector",
            "stale_days": 5,
            "channels": [{"type": "email", "to": "ops@agence.test"}],
        },
        agency=world.agency,
    )

    connection_connect(agency=world.agency, provider="google", grant=Grant(access_token="a1"), actor=world.owner)

    assert [r.pk for r in _connector_rules(world.agency)] == [own.pk]
