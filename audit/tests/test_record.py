"""audit_record, the only writer, and what the log records from the layers below it (config.events):
API tokens created and revoked through the tenants API, client accounts created, changed, archived and
restored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import translation
from django_tenants.utils import schema_context, tenant_context
from knox.models import AuthToken

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record, audit_record_in_current_client
from config import events
from conftest import PASSWORD
from tenants.services import agency_reinstate, agency_suspend


def _latest(**filters) -> AuditEvent:
    return AuditEvent.objects.filter(**filters).order_by("-id").first()


def test_an_event_belongs_to_its_client_s_agency_and_keeps_who_did_it(db, world):
    event = audit_record(
        actor=world.staff,
        action=AuditAction.ROLE_CHANGED,
        client=world.beta,
        target="viewer@beta.test",
        details={"from": "viewer", "to": "manager", "value": Decimal("12.50")},
    )
    event.refresh_from_db()
    assert (event.agency, event.client, event.actor, event.actor_email) == (
        world.agency,
        world.beta,
        world.staff,
        "staff@agence.test",
    )
    assert event.details == {"from": "viewer", "to": "manager", "value": "12.50"}
    with translation.override("en"):
        assert event.get_action_display() == "Role changed"


def test_no_one_signed_in_is_recorded_as_no_one(db, world):
    from django.contrib.auth.models import AnonymousUser

    for actor in (None, AnonymousUser()):
        event = audit_record(actor=actor, action=AuditAction.INVITATION_ACCEPTED, agency=world.agency)
        assert (event.actor_id, event.actor_email, event.client_id) == (None, "", None)


def test_an_unknown_action_is_a_programming_error(db, world):
    with pytest.raises(ValueError):
        audit_record(actor=world.owner, action="lead_stolen", agency=world.agency)


def test_an_event_is_kept_only_with_the_change_it_records(db, world):
    # when the caller's transaction rolls back after recording
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=world.owner, action=AuditAction.MEMBER_REMOVED, agency=world.agency)
        raise RuntimeError("the removal failed")
    # then the event is gone with it
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("enter", [tenant_context, lambda client: schema_context(client.schema_name)])
def test_a_tenant_app_records_for_the_client_it_runs_in(db, world, enter):
    # when a lead of beta is erased, in beta's schema (a request's tenant, or a bare schema_context)
    with enter(world.beta):
        event = audit_record_in_current_client(actor=world.manager_alpha, action=AuditAction.LEAD_ERASED, target=7)
    connection.set_schema_to_public()
    # then beta's agency's log has it, in the public schema
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.client, event.agency, event.target) == (world.beta, world.agency, "7")


@pytest.mark.parametrize(
    ("signal", "action"),
    [
        (events.client_created, AuditAction.CLIENT_CREATED),
        (events.client_archived, AuditAction.CLIENT_ARCHIVED),
        (events.client_restored, AuditAction.CLIENT_RESTORED),
    ],
)
def test_client_account_signals_are_recorded(db, world, signal, action):
    signal.send(sender=type(world.beta), actor=world.owner, client=world.beta)
    event = _latest(action=action)
    assert (event.actor, event.agency, event.client, event.target) == (world.owner, world.agency, world.beta, "beta")


def test_an_agency_suspended_and_reinstated_by_platform_staff_is_recorded(db, world, django_user_model):
    staff = django_user_model.objects.create_superuser(email="root@platform.test", password="x")
    assert agency_suspend(world.other_agency, actor=staff)
    assert agency_reinstate(world.other_agency, actor=staff)
    recorded = AuditEvent.objects.filter(agency=world.other_agency, actor=staff).order_by("id")
    assert [(e.action, e.target, e.client) for e in recorded] == [
        (AuditAction.AGENCY_SUSPENDED, "Other Agency", None),
        (AuditAction.AGENCY_REINSTATED, "Other Agency", None),
    ]


def test_a_client_account_change_keeps_what_changed(db, world):
    events.client_updated.send(
        sender=type(world.alpha), actor=world.staff, client=world.alpha, changes={"time_zone": "Europe/Brussels"}
    )
    event = _latest(action=AuditAction.CLIENT_UPDATED)
    assert (event.client, event.details) == (world.alpha, {"time_zone": "Europe/Brussels"})


def _token_create(http_as, user) -> dict:
    response = http_as(None).post(
        "/api/v1/tokens/", {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_token_created_and_revoked_through_the_api_is_recorded_in_its_user_s_agency(http_as, world):
    # when alpha's manager (a client membership) creates a token, then revokes it with it
    created = _token_create(http_as, world.manager_alpha)
    revoked = http_as(None).delete(
        f"/api/v1/tokens/{created['token_key']}/", headers={"Authorization": f"Token {created['token']}"}
    )
    assert revoked.status_code == 204
    assert not AuthToken.objects.filter(token_key=created["token_key"]).exists()
    # then alpha's agency's log shows both, by the manager, naming the token by its key (never the token)
    recorded = list(
        AuditEvent.objects.filter(target=created["token_key"]).order_by("id").values_list("action", "agency", "actor")
    )
    manager = world.manager_alpha.pk
    assert recorded == [
        (AuditAction.TOKEN_CREATED, world.agency.pk, manager),
        (AuditAction.TOKEN_REVOKED, world.agency.pk, manager),
    ]
    assert not AuditEvent.objects.filter(target=created["token"]).exists()


def test_a_token_of_someone_outside_every_agency_is_in_the_platform_s_log_only(http_as, world):
    created = _token_create(http_as, world.outsider)
    event = AuditEvent.objects.get(target=created["token_key"])
    assert (event.action, event.agency, event.actor) == (AuditAction.TOKEN_CREATED, None, world.outsider)


def test_refused_token_calls_record_nothing(http_as, world):
    before = AuditEvent.objects.count()
    wrong = http_as(None).post(
        "/api/v1/tokens/", {"email": world.owner.email, "password": "wrong"}, content_type="application/json"
    )
    assert wrong.status_code == 401
    # another user's token cannot be revoked, and trying leaves no trace as a revocation
    _, others = AuthToken.objects.create(user=world.staff)
    refused = http_as(world.owner).delete(f"/api/v1/tokens/{others[:15]}/")
    assert refused.status_code == 404
    assert AuditEvent.objects.count() == before
