"""The French leads file through the client admin's import form, in a browser (issue 14): the form says
which columns each kind needs and links its templates; the Windows-1252 file French Excel saves is
previewed with its accents, how its day-first dates were read and the offer it would create (the demo
client has its campaign), before anything is written. In French and in English: the client is a French
agency's, so its dates read day first whatever the reader's language. Screenshots:
artifacts/first-hour/{fr,en}-import-form.png and …-import-preview.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import first_hour
from tests.first_hour import LANGUAGES, log_in, shot

demo_server, new_page = first_hour.demo_server, first_hour.new_page  # the module's fixtures

FILE = Path(__file__).resolve().parent / "fixtures" / "french-excel" / "leads-cp1252.csv"
MANAGER, SLUG = "marketing@maison-lumiere.fr", "maison-lumiere"
WORDS = {
    "fr": {
        "required": "Colonnes obligatoires",
        "rows": "5 lignes dans le fichier",
        "read": "created_at\u00a0: «\u00a003/02/2026 10:15\u00a0» lu comme 3 février 2026 10:15 (Europe/Paris)",
        "offer": "1 nouvelle offre sera créée\u00a0: ebook-kpi",
    },
    "en": {
        "required": "Required columns",
        "rows": "5 rows in the file",
        "read": "created_at: “03/02/2026 10:15” read as Feb. 3, 2026, 10:15 a.m. (Europe/Paris)",
        "offer": "1 new offer will be created: ebook-kpi",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_french_leads_file_is_previewed_in_the_admin_form(new_page, language):
    words = WORDS[language]
    page = new_page()
    log_in(page, MANAGER, language)
    page.goto(f"/c/{SLUG}/admin/campaigns/importjob/upload/")
    assert words["required"] in page.locator("table.import-kinds").text_content()
    assert page.locator(f'a[href="/c/{SLUG}/admin/campaigns/importjob/template/leads.xlsx"]').count() == 1
    shot(page, f"{language}-import-form")
    page.select_option("#id_kind", "leads")
    page.set_input_files("#id_file", str(FILE))
    with page.expect_navigation():
        page.click("input[type=submit].default")
    text = page.locator("#content").inner_text()
    shot(page, f"{language}-import-preview")
    assert words["rows"] in text
    assert "Hélène" in text and "Café Œuvre & Cie" in text  # Windows-1252 read as such
    assert words["read"] in text
    # the demo client has the campaign search-marque, not the offer ebook-kpi: only the offer is new
    assert words["offer"] in text and "search-marque" not in text.split(words["read"])[1]
    assert page.locator('form[action$="/confirm/"] input[type=submit]').count() == 1  # it may be confirmed
    page.context.close()
