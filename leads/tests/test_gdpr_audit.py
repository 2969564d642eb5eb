"""GDPR exports and erasures of leads are in the agency's audit log (who, when, which lead), from the API
and from the client admin, naming the lead by its id only: never the erased contact's email."""

from __future__ import annotations

from audit.models import AuditEvent
from leads.tests.factories import LeadFactory

API = "/c/alpha/api/v1"
ADMIN = "/c/alpha/admin/leads/lead/"


def test_an_export_and_an_erasure_through_the_api_are_audited(http_as, world, in_alpha):
    # given Ada, a lead of alpha
    ada = LeadFactory(email="ada@x.io").pk
    # when the sales person exports her data and the manager erases her
    assert http_as(world.sales_alpha).get(f"{API}/leads/{ada}/export/").status_code == 200
    erased = http_as(world.manager_alpha).post(
        f"{API}/leads/{ada}/erase/", {"block_recapture": True}, content_type="application/json"
    )
    assert erased.status_code == 204
    # then the audit log holds both, by whom, in alpha's agency
    recorded = AuditEvent.objects.filter(client=world.alpha, target=str(ada)).order_by("id")
    assert [(e.action, e.actor_email) for e in recorded] == [
        ("lead_exported", "sales@alpha.test"),
        ("lead_erased", "manager@alpha.test"),
    ]
    assert recorded[0].agency == world.agency
    # and never the erased email
    assert not AuditEvent.objects.filter(target="ada@x.io").exists()


def test_the_admins_gdpr_actions_are_audited(http_as, world, in_alpha):
    ada = LeadFactory(email="ada@x.io")
    admin = http_as(world.manager_alpha)
    admin.post(ADMIN, {"action": "export_json", "_selected_action": [ada.pk]})
    admin.post(ADMIN, {"action": "erase", "_selected_action": [ada.pk]})
    recorded = AuditEvent.objects.filter(client=world.alpha, target=str(ada.pk)).order_by("id")
    assert [(e.action, e.actor_email) for e in recorded] == [
        ("lead_exported", "manager@alpha.test"),
        ("lead_erased", "manager@alpha.test"),
    ]
