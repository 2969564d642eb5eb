"""The period picker's errors name the field and the choices in the user's words (issue 14, "Words"):
never the raw parameter (``range``) nor its values (``this, last``). And the admins wear Pouls' colours."""

import pytest

PAGE = "/c/alpha/"
BAD_RANGE = {"range": "yesterday"}

FRENCH = "<strong>Plage</strong> : Choisissez « Période en cours », « Période précédente » ou « Personnalisée »."
ENGLISH = "<strong>Range</strong> : Choose “This period”, “Last period” or “Custom”."


def _errors(browser, params) -> str:
    response = browser.get(PAGE, params)
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index('data-testid="state-errors"')
    return html[start : html.index("</ul>", start)]


@pytest.mark.django_db
def test_a_bad_range_reads_in_french_with_the_pickers_words(http_as, world):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "fr"
    errors = _errors(browser, BAD_RANGE)
    assert FRENCH in errors
    assert "this, last" not in errors and "range" not in errors


@pytest.mark.django_db
def test_a_bad_range_reads_in_english_with_the_pickers_words(http_as, world):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "en"
    assert ENGLISH in _errors(browser, BAD_RANGE)


@pytest.mark.django_db
def test_the_other_picker_fields_are_named_by_their_labels(http_as, world):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "fr"
    errors = _errors(browser, {"period": "day", "range": "custom"})
    assert "<strong>Période</strong> : Choisissez « Semaine », « Mois » ou « Trimestre »." in errors
    assert "<strong>Date de début</strong> : " in errors and "<strong>Date de fin</strong> : " in errors
    assert ">from<" not in errors and ">to<" not in errors


@pytest.mark.django_db
def test_the_client_admin_links_the_pouls_stylesheet_and_says_pouls(http_as, world):
    manager = http_as(world.manager_alpha)
    response = manager.get(f"{PAGE}admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/static/pouls/admin.css"' in html
    header = html[html.index('id="site-name"') : html.index("</div>", html.index('id="site-name"'))]
    assert "Pouls" in header
