"""The amber threshold typed as people think of it (issue 14, "Objectives"): how far below its target a
value may fall and stay amber, as a percentage ("10" for 10 %), stored as the ratio the API exchanges
(0.9) and checked by the same rule (``kpis.services.amber_ratio_checked``)."""

from decimal import Decimal

import pytest

from kpis.models import KPISettings
from kpis.services import kpi_settings

ADMIN = "/c/alpha/admin/kpis/kpisettings/"


def _admin(http_as, user, language):
    browser = http_as(user)
    browser.cookies["django_language"] = language
    return browser


def _change_url() -> str:
    return f"{ADMIN}{kpi_settings().pk}/change/"


@pytest.mark.parametrize(("typed", "ratio"), [("10", "0.900"), ("7,5", "0.925"), ("25 %", "0.750"), ("0", "1.000")])
def test_the_margin_is_typed_as_a_percentage_and_stored_as_the_ratio(http_as, world, in_alpha, typed, ratio):
    url = _change_url()
    response = _admin(http_as, world.manager_alpha, "fr").post(url, {"amber_margin": typed})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert KPISettings.objects.get().amber_ratio == Decimal(ratio)


@pytest.mark.parametrize(("language", "shown"), [("fr", 'value="7,5"'), ("en", 'value="7.5"')])
def test_the_form_shows_the_stored_ratio_back_as_its_margin(http_as, world, in_alpha, language, shown):
    settings = kpi_settings()
    settings.amber_ratio = Decimal("0.925")
    settings.save()
    html = _admin(http_as, world.manager_alpha, language).get(_change_url()).content.decode()
    assert shown in html and "0.925" not in html and "0,925" not in html
    assert 'data-testid="target-suffix" data-percent-kpis' in html and "hidden>%<" not in html


@pytest.mark.parametrize(
    ("language", "typed", "message"),
    [
        ("fr", "150", "La marge orange est un pourcentage de 0 à 100 (1 décimale au plus)."),
        ("en", "-5", "The amber margin is a percentage from 0 to 100 (at most 1 decimal)."),
        ("en", "7.55", "A percentage has at most 1 decimals."),
        ("en", "dix", "Enter a number."),
    ],
)
def test_a_bad_margin_is_refused_under_its_field(http_as, world, in_alpha, language, typed, message):
    before = KPISettings.objects.get(pk=kpi_settings().pk).amber_ratio
    response = _admin(http_as, world.manager_alpha, language).post(_change_url(), {"amber_margin": typed})
    assert response.status_code == 200
    html = response.content.decode().replace("&#x27;", "'")
    assert message in html
    assert KPISettings.objects.get().amber_ratio == before


def test_the_api_still_exchanges_the_ratio(http_as, world, in_alpha):
    api = http_as(world.manager_alpha)
    response = api.put("/c/alpha/api/v1/kpis/settings/", {"amber_ratio": "0.8"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert KPISettings.objects.get().amber_ratio == Decimal("0.8")
