"""Nobody edits the audit log: the database refuses UPDATE and DELETE whatever the path, the platform
admin offers no add, change or delete; deleting what an event points to detaches it and keeps its words."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from tenants.services import user_create_or_update


@pytest.fixture
def event(db, world):
    return audit_record(
        actor=world.owner, action=AuditAction.INVITATION_SENT, client=world.alpha, target="new@alpha.test"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET target = 'forged' WHERE id = %s",
        "UPDATE audit_auditevent SET at = now() - interval '1 year' WHERE id = %s",
        "UPDATE audit_auditevent SET agency_id = NULL, target = 'forged' WHERE id = %s",
        "UPDATE audit_auditevent SET client_id = (SELECT id FROM tenants_client WHERE slug = 'beta') WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(event, statement):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert (event.target, event.client.slug) == ("new@alpha.test", "alpha")


def test_the_orm_is_refused_too(event):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.MEMBER_REMOVED)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.target = "forged"
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).target == "new@alpha.test"


def test_deleting_the_actor_detaches_the_event_which_keeps_their_email(db, world):
    # given an event by someone whose account is later deleted
    leaving, _ = user_create_or_update(email="leaving@agence.test", password="x-long-enough-password-2026")
    event = audit_record(actor=leaving, action=AuditAction.TOKEN_CREATED, agency=world.agency, target="abc")
    # when the account is deleted (Django sets the event's actor to NULL: the one update let through)
    leaving.delete()
    # then the event stays, detached, and still says who
    event.refresh_from_db()
    assert (event.actor_id, event.actor_email, event.target) == (None, "leaving@agence.test", "abc")


def test_the_platform_admin_reads_but_never_adds_changes_or_deletes(event, http_as, world, django_user_model):
    model_admin = site._registry[AuditEvent]
    superuser = django_user_model.objects.create_superuser(email="root@platform.test", password="x")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.has_view_permission(request, event)
    admin = http_as(superuser)
    changelist = admin.get("/admin/audit/auditevent/")
    assert changelist.status_code == 200 and b"new@alpha.test" in changelist.content
    assert b'name="action"' not in changelist.content  # no bulk actions, not even "delete selected"
    detail = admin.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert admin.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.post(f"/admin/audit/auditevent/{event.pk}/change/", {"target": "forged"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).target == "new@alpha.test"
