"""The platform admin changes client accounts through the services: the same rule of each field as the
pages, the API and the command, and every change, archive and restore kept in the audit log with the
platform staff member who made it."""

from __future__ import annotations

import pytest
from django.conf import settings

from audit.models import AuditAction, AuditEvent
from tenants.models import Client, User

CHANGE = "/admin/tenants/client/{pk}/change/"


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("platform@pouls.test", "a-long-platform-password")


def _form(client: Client, **changes) -> dict:
    values = {
        "name": client.name,
        "agency": client.agency_id or "",
        "time_zone": client.time_zone,
        "currency": client.currency,
        "is_active": "on" if client.is_active else "",
        # the memberships inline: none added
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        **changes,
    }
    return {key: value for key, value in values.items() if value is not None}


def test_a_change_in_the_admin_is_checked_by_the_rule(http_as, world, superuser):
    page = http_as(superuser).post(CHANGE.format(pk=world.alpha.pk), _form(world.alpha, time_zone="Mars/Olympus"))
    assert page.status_code == 200
    assert "Mars/Olympus" in page.content.decode() and "IANA" in page.content.decode()
    assert Client.objects.get(pk=world.alpha.pk).time_zone == "Europe/Paris"


def test_changes_archives_and_restores_in_the_admin_are_audited(http_as, world, superuser):
    admin = http_as(superuser)
    url = CHANGE.format(pk=world.alpha.pk)
    # a rename
    assert admin.post(url, _form(world.alpha, name="Alpha Renamed")).status_code == 302
    renamed = AuditEvent.objects.get(action=AuditAction.CLIENT_UPDATED, client=world.alpha)
    assert (renamed.actor, renamed.details) == (superuser, {"name": "Alpha Renamed"})
    # unticking "active" archives it; ticking it again restores it
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert admin.post(url, _form(alpha, is_active="")).status_code == 302
    assert not Client.objects.get(pk=world.alpha.pk).is_active
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert admin.post(url, _form(alpha, is_active="on")).status_code == 302
    assert Client.objects.get(pk=world.alpha.pk).is_active
    events = AuditEvent.objects.filter(client=world.alpha).exclude(action=AuditAction.CLIENT_CREATED)  # the setup's
    actions = list(events.order_by("pk").values_list("action", "actor_email"))
    assert actions == [
        (AuditAction.CLIENT_UPDATED, "platform@pouls.test"),
        (AuditAction.CLIENT_ARCHIVED, "platform@pouls.test"),
        (AuditAction.CLIENT_RESTORED, "platform@pouls.test"),
    ]


def test_an_archived_account_is_restored_before_its_settings_change(http_as, world, superuser):
    Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    alpha = Client.objects.get(pk=world.alpha.pk)
    admin = http_as(superuser)
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = admin.post(CHANGE.format(pk=alpha.pk), _form(alpha, name="Renamed while archived"))
    assert page.status_code == 200 and "restore it before changing it" in page.content.decode()
    assert Client.objects.get(pk=alpha.pk).name == "Alpha SAS"
    # restoring and renaming at once is fine: restored first
    assert admin.post(CHANGE.format(pk=alpha.pk), _form(alpha, name="Back", is_active="on")).status_code == 302
    assert Client.objects.filter(pk=alpha.pk, name="Back", is_active=True).exists()
