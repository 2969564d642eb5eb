"""The reports page (/c/<slug>/reports/) and the client admin: the form refuses in the API's words,
Preview opens the PDF, Send now and Approve queue deliveries, roles as in the API."""

import re
from datetime import date

from reports.models import DeliveryStatus, ReportDelivery, ReportSchedule
from reports.tests.helpers import english, schedule

PAGE = "/c/alpha/reports/"
FORM = {
    "name": "Mensuel direction",
    "frequency": "monthly",
    "weekday": "0",
    "day_of_month": "2",
    "hour": "7",
    "language": "en",
    "recipients": "Boss@Client.test, cfo@client.test\nboss@client.test",
    "sections": ["charts", "families"],
    "active": "on",
}


def test_a_manager_creates_a_schedule_and_the_page_lists_it(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    assert 'data-testid="reports-link"' in browser.get("/c/alpha/").content.decode()
    created = browser.post(f"{PAGE}new/", FORM)
    assert created.status_code == 302, created.content.decode()[-2000:]
    saved = ReportSchedule.objects.get()
    assert saved.recipients == ["boss@client.test", "cfo@client.test"]
    assert (saved.sections, saved.day_of_month, saved.hour) == (["families", "charts"], 2, 7)
    page = browser.get(PAGE).content.decode()
    assert "Mensuel direction" in page and "boss@client.test, cfo@client.test" in page


def test_the_form_refuses_in_the_rules_words(http_as, world, in_alpha):
    refused = english(http_as(world.owner)).post(f"{PAGE}new/", FORM | {"recipients": "boss@, x@y.test"})
    assert refused.status_code == 400
    assert "&#x27;boss@&#x27; is not an email address." in refused.content.decode()
    assert not ReportSchedule.objects.exists()


def test_send_now_approve_and_roles(http_as, world, in_alpha):
    gated = schedule(requires_approval=True)
    # a manager's "send now" of a gated schedule waits for the agency's approval
    assert http_as(world.manager_alpha).post(f"{PAGE}{gated.pk}/send/").status_code == 302
    delivery = ReportDelivery.objects.get(schedule=gated)
    assert (delivery.trigger, delivery.approved_at) == ("manual", None)
    ReportDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.AWAITING_APPROVAL, pdf=b"%PDF-1.4 d")
    approve = f"{PAGE}{gated.pk}/deliveries/{delivery.pk}/approve/"
    assert http_as(world.manager_alpha).post(approve).status_code == 403
    # the draft's Approve button is the agency's only
    assert f'action="{approve}"' in http_as(world.staff).get(PAGE).content.decode()
    assert f'action="{approve}"' not in http_as(world.manager_alpha).get(PAGE).content.decode()
    assert http_as(world.staff).post(approve).status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.approved_by_id) == (DeliveryStatus.QUEUED, world.staff.pk)
    # sales read the page but change nothing; viewers' product is the dashboard
    assert http_as(world.sales_alpha).get(PAGE).status_code == 200
    assert http_as(world.sales_alpha).post(f"{PAGE}{gated.pk}/send/").status_code == 403
    assert http_as(world.viewer_alpha).get(PAGE).status_code == 403
    assert http_as(world.other_owner).get(PAGE).status_code == 404


def test_preview_opens_the_pdf_of_the_last_complete_period(http_as, world, in_alpha):
    weekly = schedule()
    preview = http_as(world.manager_alpha).get(f"{PAGE}{weekly.pk}/preview.pdf")
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF")
    assert 'filename="alpha-rapport-' in preview["Content-Disposition"]
    api = http_as(world.manager_alpha).get(f"/c/alpha/api/v1/reports/{weekly.pk}/preview/?period_start=2026-11-04")
    assert api.status_code == 200 and api.content.startswith(b"%PDF")
    assert "alpha-rapport-2026-11-02-2026-11-08.pdf" in api["Content-Disposition"]
    assert not ReportDelivery.objects.exists()


def test_the_client_admin_uses_the_same_rule(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    refused = english(browser).post("/c/alpha/admin/reports/reportschedule/add/", FORM | {"frequency": "daily"})
    assert refused.status_code == 200
    assert not ReportSchedule.objects.exists()
    created = browser.post("/c/alpha/admin/reports/reportschedule/add/", FORM)
    assert created.status_code == 302, created.content.decode()[-1500:]
    assert ReportSchedule.objects.get().created_by_id == world.manager_alpha.pk
    ReportDelivery.objects.create(
        schedule=ReportSchedule.objects.get(), period_start=date(2026, 1, 1), period_end=date(2026, 1, 31)
    )
    assert browser.get("/c/alpha/admin/reports/reportdelivery/").status_code == 200


def test_the_page_costs_a_fixed_number_of_queries(http_as, world, in_alpha, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = http_as(world.owner)
    first = schedule()
    ReportDelivery.objects.create(schedule=first, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31))
    with CaptureQueriesContext(connection) as few:
        assert browser.get(PAGE).status_code == 200
    for i in range(5):
        other = schedule(name=f"R{i}", created_by=world.manager_alpha)
        for month in range(1, 9):
            ReportDelivery.objects.create(
                schedule=other, period_start=date(2026, month, 1), period_end=date(2026, month, 28), trigger="manual"
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = browser.get(PAGE).content.decode()
    # the newest five deliveries of each schedule
    assert page.count('data-testid="delivery-') == 1 + 5 * 5


def test_the_form_offers_the_clients_people_and_external_addresses(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    form = browser.get(PAGE).content.decode()
    # the people with access to alpha (its members, the agency's owner and staff), not another agency's
    for email in ("manager@alpha.test", "sales@alpha.test", "viewer@alpha.test", "owner@agence.test"):
        assert f'name="members" value="{email}"' in form, email
    assert "owner@other.test" not in form
    ticked = FORM | {"members": ["viewer@alpha.test", "sales@alpha.test"], "recipients": "cfo@client.test"}
    assert browser.post(f"{PAGE}new/", ticked).status_code == 302
    saved = ReportSchedule.objects.get()
    # the same rule and the same list as the API's: ticked people first, then the typed addresses
    assert saved.recipients == ["viewer@alpha.test", "sales@alpha.test", "cfo@client.test"]
    edit = browser.get(f"{PAGE}?edit={saved.pk}").content.decode()
    # editing: the people ticked, the external address typed
    ticked_now = set(re.findall(r'name="members" value="([^"]+)" id="id_members_\d+" checked', edit))
    assert ticked_now == {"viewer@alpha.test", "sales@alpha.test"}
    assert "\ncfo@client.test</textarea>" in edit
    # someone who is not among the client's people cannot be ticked
    assert browser.post(f"{PAGE}new/", FORM | {"members": ["owner@other.test"]}).status_code == 400
    # nobody at all: the rule's words
    empty = english(browser).post(f"{PAGE}new/", FORM | {"name": "Empty", "recipients": ""})
    assert empty.status_code == 400 and "Give at least one recipient." in empty.content.decode()


def test_the_page_and_the_admin_keep_the_agencys_approval_and_the_limit(http_as, world, in_alpha):
    gated = schedule(requires_approval=True, recipients=["boss@client.test"])
    manager = http_as(world.manager_alpha)
    unticked = FORM | {"name": gated.name}  # requires_approval left unticked
    assert manager.post(f"{PAGE}{gated.pk}/", unticked).status_code == 400
    admin_change = f"/c/alpha/admin/reports/reportschedule/{gated.pk}/change/"
    assert manager.post(admin_change, unticked).status_code == 200  # the form again, with the error
    assert ReportSchedule.objects.get(pk=gated.pk).requires_approval is True
    assert http_as(world.staff).post(f"{PAGE}{gated.pk}/", unticked).status_code == 302
    assert ReportSchedule.objects.get(pk=gated.pk).requires_approval is False
    # the 51st schedule: a form error in the admin too, not a server error
    for i in range(49):
        schedule(name=f"S{i}")
    full = english(manager).post("/c/alpha/admin/reports/reportschedule/add/", FORM)
    assert full.status_code == 200 and "At most 50 report schedules" in full.content.decode()
    assert ReportSchedule.objects.count() == 50
