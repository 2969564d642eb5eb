from datetime import timedelta

from django.forms import modelform_factory
from django.utils import timezone

from leads.admin import LeadAdminForm
from leads.models import Lead, ScoringRule, Stage, StageTransition
from leads.services import OWNER_REFUSED, email_is_erased
from leads.tests.factories import LeadFactory

ADMIN = "/c/alpha/admin/leads/lead/"


def test_the_lead_admin_lists_searches_and_shows_the_history(http_as, world, in_alpha):
    ada = LeadFactory(email="ada@x.io")
    admin = http_as(world.manager_alpha)
    assert "ada@x.io" in admin.get(f"{ADMIN}?q=ada").content.decode()
    assert admin.get(f"{ADMIN}?stage__exact=lead&is_lost__exact=0").status_code == 200
    page = admin.get(f"{ADMIN}{ada.pk}/change/").content.decode()
    assert "Created" in page or "Créé" in page


def test_admin_actions_move_through_the_service_and_record_the_source(http_as, world, in_alpha):
    ada, bob = LeadFactory(), LeadFactory()
    response = http_as(world.manager_alpha).post(ADMIN, {"action": "move_to_sql", "_selected_action": [ada.pk, bob.pk]})
    assert response.status_code == 302
    assert set(Lead.objects.values_list("stage", flat=True)) == {Stage.SQL}
    moves = StageTransition.objects.filter(kind="moved")
    assert moves.count() == 2 and set(moves.values_list("source", flat=True)) == {"admin"}
    assert Lead.objects.filter(mql_at__isnull=False).count() == 2


def test_editing_a_lead_in_the_admin_cannot_change_its_stage(http_as, world, in_alpha):
    ada = LeadFactory(email="ada@x.io")
    form = {
        "email": "ada@x.io",
        "company": "ACME",
        "stage": "customer",
        "keyword": "",
        "first_name": "",
        "last_name": "",
        "job_title": "",
        "phone": "",
        "utm_source": "",
        "utm_medium": "",
        "utm_campaign": "",
        "utm_term": "",
        "utm_content": "",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    response = http_as(world.manager_alpha).post(f"{ADMIN}{ada.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    lead = Lead.objects.get(pk=ada.pk)
    assert (lead.company, lead.stage) == ("ACME", Stage.LEAD)


def test_gdpr_actions_export_and_erase(http_as, world, in_alpha):
    ada = LeadFactory(email="ada@x.io")
    admin = http_as(world.manager_alpha)
    export = admin.post(ADMIN, {"action": "export_json", "_selected_action": [ada.pk]})
    assert export["Content-Type"] == "application/json" and b"ada@x.io" in export.content
    admin.post(ADMIN, {"action": "erase", "_selected_action": [ada.pk]})
    assert not Lead.objects.exists() and email_is_erased("ada@x.io")


def test_a_bad_scoring_rule_is_a_form_error_not_a_crash(http_as, world, in_alpha):
    response = http_as(world.manager_alpha).post(
        "/c/alpha/admin/leads/scoringrule/add/",
        {"name": "x", "field": "activity", "operator": "eq", "value": "dancing", "points": "5", "is_active": "on"},
    )
    assert response.status_code == 200
    assert not ScoringRule.objects.exists()


def test_the_lead_form_offers_as_owners_only_this_clients_people_who_may_own_leads(http_as, world):
    # given users of every kind, including another agency's owner and a platform superuser
    from tenants.models import User

    User.objects.create_superuser("platform@pouls.test", "a-long-staff-password")
    # when alpha's manager opens the lead form of alpha's admin
    response = http_as(world.manager_alpha).get(f"{ADMIN}add/")
    offered = set(response.context["adminform"].form.fields["owner"].queryset.values_list("email", flat=True))
    # then the owners offered are alpha's managers and sales people and its agency's owner and staff
    assert offered == {"owner@agence.test", "staff@agence.test", "manager@alpha.test", "sales@alpha.test"}
    page = response.content.decode()
    for elsewhere in (
        "owner@other.test",
        "viewer@alpha.test",
        "viewer@beta.test",
        "nobody@elsewhere.test",
        "platform@pouls.test",
    ):
        assert elsewhere not in page


def test_a_refused_owner_is_a_form_error_not_added_successfully(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    form = {
        "email": "new@x.io",
        "first_name": "",
        "last_name": "",
        "company": "",
        "job_title": "",
        "phone": "",
        "keyword": "",
        "utm_source": "",
        "utm_medium": "",
        "utm_campaign": "",
        "utm_term": "",
        "utm_content": "",
        "stage": "lead",
        "lost_reason": "",
        "created_at_0": str(timezone.localdate() - timedelta(days=1)),
        "created_at_1": "10:00:00",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    # when the form names as owner a viewer of alpha, then another agency's owner
    for user in (world.viewer_alpha, world.other_owner):
        response = admin.post(f"{ADMIN}add/", {**form, "owner": user.pk})
        # then the form comes back with an error on the owner, and no lead was added
        assert response.status_code == 200
        assert "owner" in response.context["adminform"].form.errors
        assert not Lead.objects.filter(email="new@x.io").exists()
    # and with alpha's sales person, the lead is added and owned
    response = admin.post(f"{ADMIN}add/", {**form, "owner": world.sales_alpha.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Lead.objects.get(email="new@x.io").owner_id == world.sales_alpha.pk


def test_the_lead_forms_owner_rule_is_the_services(world, in_alpha):
    # given the admin's lead form over every user (as if the select's choices were stale)
    form_class = modelform_factory(Lead, form=LeadAdminForm, fields=["email", "owner"])
    # when it names a viewer of alpha: then the service's refusal is the form's error
    refused = form_class(data={"email": "new@x.io", "owner": world.viewer_alpha.pk})
    assert not refused.is_valid()
    assert refused.errors["owner"] == [str(OWNER_REFUSED)]
    # and alpha's sales person is fine
    assert form_class(data={"email": "new@x.io", "owner": world.sales_alpha.pk}).is_valid()
