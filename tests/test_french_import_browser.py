"""In a real browser (gunicorn and a Celery worker on the test database), a client's manager imports the
leads file French Excel writes (tests/fixtures/french-excel: ';', day-first dates, 12 500,00 and 1250,50,
Windows-1252 or UTF-8 with a BOM) through the client admin's import form, in the French and in the
English interface (issue 14). The preview shows the rows and how the first dates were read (day first:
the client's agency is French, whatever the interface's language), and warns of the campaign and the offer
it would create; once confirmed, the worker writes the leads with the right dates and deal values.
Screenshots of the preview and of the result go to artifacts/first-hour/.

Database reads and writes stay outside the browser blocks: Playwright runs an event loop in the test's
thread, where Django refuses database calls (so one browser per test here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from campaigns.models import Campaign, ImportJob, Offer
from conftest import PASSWORD
from leads.models import Lead
from tests.browser import browser_page
from tests.first_hour import DESKTOP, choose_language, shot
from tests.processes import free_port, start_web, start_worker, stop

FRENCH_FILES = Path(__file__).resolve().parent / "fixtures" / "french-excel"
PARIS = ZoneInfo("Europe/Paris")
UPLOAD = "/c/alpha/admin/campaigns/importjob/upload/"
# The interface's language, the file uploaded in it, and the words the preview and the result use.
CASES = {
    "fr": {
        "file": "leads-cp1252.csv",
        "rows": "5 lignes dans le fichier",
        "reading": "created_at\u00a0: «\u00a003/02/2026 10:15\u00a0» lu comme 3 février 2026 10:15 (Europe/Paris)",
        "new_campaign": "1 nouvelle campagne sera créée\u00a0: search-marque",
        "new_offer": "1 nouvelle offre sera créée\u00a0: ebook-kpi",
        "done": ["5 lignes lues", "5 créés"],
    },
    "en": {
        "file": "leads-utf8-bom.csv",
        "rows": "5 rows in the file",
        "reading": "created_at: “03/02/2026 10:15” read as Feb. 3, 2026, 10:15 a.m. (Europe/Paris)",
        "new_campaign": "1 new campaign will be created: search-marque",
        "new_offer": "1 new offer will be created: ebook-kpi",
        "done": ["5 rows read", "5 created"],
    },
}


@pytest.fixture(scope="module")
def queue() -> str:
    """A queue of this module's own: the server sends the imports there and its worker takes them."""
    return f"pouls-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def web(django_db_setup, world, queue, tmp_path_factory):
    port = free_port()
    log = Path(tmp_path_factory.mktemp("web")) / "gunicorn.log"
    process = start_web(port, log, env={"CELERY_TASK_DEFAULT_QUEUE": queue})
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="module")
def worker(django_db_setup, queue, tmp_path_factory):
    log = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    process = start_worker(queue, log, env={"CELERY_TASK_DEFAULT_QUEUE": queue})
    yield
    stop(process)


def _forget_the_import(alpha) -> None:
    with tenant_context(alpha):
        Lead.objects.all().delete()
        ImportJob.objects.all().delete()
        Campaign.objects.filter(key="search-marque").delete()
        Offer.objects.filter(key="ebook-kpi").delete()


@pytest.fixture
def alpha_without_the_files_leads(committed):
    """Alpha with none of the file's leads, campaign or offer (committed: gunicorn and the worker see it)."""
    _forget_the_import(committed.alpha)
    yield committed
    _forget_the_import(committed.alpha)


@pytest.mark.browser
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_french_excel_leads_file_through_the_admin_form_with_its_preview(
    alpha_without_the_files_leads, web, worker, language
):
    world, case = alpha_without_the_files_leads, CASES[language]
    with browser_page(web) as page:
        page.set_viewport_size(DESKTOP)
        page.goto("/")
        choose_language(page, language)
        page.fill("#id_username", world.manager_alpha.email)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit].primary")
        # when the manager uploads the file French Excel saved, as leads, in the client's admin
        page.goto(UPLOAD)
        page.select_option("#id_kind", "leads")
        page.set_input_files("#id_file", str(FRENCH_FILES / case["file"]))
        with page.expect_navigation():
            page.click("#content form input[type=submit]")
        # then the preview lists the file's rows, says how the dates were read and what it would create
        content = page.locator("#content")
        assert case["rows"] in content.inner_text()
        preview = content.locator(".results table tbody tr")
        assert preview.count() == 5
        assert "Hélène" in preview.first.inner_text() and "Café Œuvre & Cie" in preview.nth(1).inner_text()
        readings = content.locator("ul.import-readings li").all_inner_texts()
        assert case["reading"] in readings, readings
        warnings = content.locator("p.import-new-keys").all_inner_texts()
        assert warnings == [case["new_campaign"], case["new_offer"]], warnings
        shot(page, f"{language}-import-preview")
        # when they confirm, the worker imports it and the page (refreshing itself) gives the counts
        with page.expect_navigation():
            content.locator("form input[type=submit].default").click()
        page.wait_for_selector("ul.import-result", timeout=30_000)
        result = page.locator("ul.import-result li").all_inner_texts()
        assert all(count in result for count in case["done"]), result
        assert page.locator("#content .errorlist").count() == 0
        shot(page, f"{language}-import-done")
    # and the leads are there, dated day first in the client's zone, with their deal values
    with tenant_context(world.alpha):
        leads = {lead.email: lead for lead in Lead.objects.all()}
        job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE and job.language == language, (job.status, job.errors)
    assert len(leads) == 5
    assert leads["helene.dupont@exemple.fr"].created_at == datetime(2026, 2, 3, 10, 15, tzinfo=PARIS)
    assert leads["helene.dupont@exemple.fr"].company == "Société Générale d'Études"
    assert leads["chloe.martin@exemple.fr"].created_at == datetime(2026, 3, 21, 0, 0, tzinfo=PARIS)
    francois = leads["francois.lefevre@exemple.fr"]
    assert francois.deal_value == Decimal("12500.00")
    assert francois.customer_at == datetime(2026, 3, 2, 16, 0, tzinfo=PARIS)
    assert leads["noel.garcon@exemple.fr"].deal_value == Decimal("1250.50")
    assert leads["agnes.roux@exemple.fr"].deal_value == Decimal("1250.50")
