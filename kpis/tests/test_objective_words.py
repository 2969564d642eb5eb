"""Objectives and KPI screens of the client admin in the reader's words (issue 14, "Words" and
"Objectives"): KPI and dimension names, never keys; a rate's target typed and shown as a percentage;
targets without six decimals."""

import re
from decimal import Decimal

import pytest
from django.utils import translation

from kpis.models import Objective, Snapshot
from kpis.services import objective_save
from kpis.targets import kpi_value_shown, target_for_entry, target_from_entry

ADMIN = "/c/alpha/admin/kpis/"
NBSP = "\u00a0"


def _french(http_as, user):
    browser = http_as(user)
    browser.cookies["django_language"] = "fr"
    return browser


def _english(http_as, user):
    browser = http_as(user)
    browser.cookies["django_language"] = "en"
    return browser


def _page(browser, path, params=None) -> str:
    response = browser.get(path, params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_the_objective_form_names_kpis_and_dimensions_in_french(http_as, world, in_alpha):
    html = _page(_french(http_as, world.manager_alpha), f"{ADMIN}objective/add/")
    for french in ("Taux de conversion visiteurs → leads", "Coût par lead", "Mot-clé", "Canal", "Campagne"):
        assert f">{french}</option>" in html
    for english in ("Visit-to-lead rate", "Cost per lead", ">landing_page<", ">keyword<", ">channel<"):
        assert english not in html
    assert "en pourcentage : 6 pour 6 pour cent" in html  # the target's help


def test_the_objective_form_names_kpis_and_dimensions_in_english(http_as, world, in_alpha):
    html = _page(_english(http_as, world.manager_alpha), f"{ADMIN}objective/add/")
    assert ">Visit-to-lead rate</option>" in html and ">Landing page</option>" in html
    assert "Taux de conversion" not in html


def test_a_rate_target_is_typed_as_a_percentage_and_shown_back_as_one(http_as, world, in_alpha):
    admin = _french(http_as, world.manager_alpha)
    response = admin.post(
        f"{ADMIN}objective/add/",
        {"kpi": "visit_to_lead_rate", "period": "month", "dimension": "channel", "key": "paid_search", "target": "6"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    objective = Objective.objects.get()
    assert objective.target == Decimal("0.06")  # stored as the KPI's fraction (docs/kpis.md §1)

    html = _page(admin, f"{ADMIN}objective/{objective.pk}/change/")
    assert 'name="target" value="6"' in html
    suffix = re.search(r'data-testid="target-suffix" data-percent-kpis="([^"]*)"( hidden)?>%</span>', html)
    assert suffix and "visit_to_lead_rate" in suffix[1].split() and "cost_per_lead" not in suffix[1].split()
    assert suffix[2] is None  # shown for a rate
    assert '<script src="/static/kpis/objective_target.js"></script>' in html  # follows the KPI chosen
    assert "0.060000" not in html and "0,060000" not in html

    response = admin.post(
        f"{ADMIN}objective/{objective.pk}/change/",
        {
            "kpi": "visit_to_lead_rate",
            "period": "month",
            "dimension": "channel",
            "key": "paid_search",
            "target": "6,5 %",
        },
    )
    assert response.status_code == 302
    objective.refresh_from_db()
    assert objective.target == Decimal("0.065")
    assert 'name="target" value="6,5"' in _page(admin, f"{ADMIN}objective/{objective.pk}/change/")


def test_a_money_target_is_typed_as_it_is_and_shown_without_six_decimals(http_as, world, in_alpha):
    admin = _french(http_as, world.manager_alpha)
    response = admin.post(
        f"{ADMIN}objective/add/",
        {"kpi": "cost_per_lead", "period": "month", "dimension": "", "key": "", "target": "55"},
    )
    assert response.status_code == 302
    objective = Objective.objects.get()
    assert objective.target == Decimal("55")
    html = _page(admin, f"{ADMIN}objective/{objective.pk}/change/")
    assert 'name="target" value="55"' in html
    assert "55.000000" not in html
    assert re.search(r'data-testid="target-suffix" data-percent-kpis="[^"]*" hidden>%</span>', html)  # not money


def test_a_percentage_with_too_many_decimals_or_no_number_is_refused_under_the_target(http_as, world, in_alpha):
    admin = _english(http_as, world.manager_alpha)
    fields = {"kpi": "email_open_rate", "period": "month", "dimension": "", "key": ""}
    for typed, words in (("6.12345", "A percentage has at most 4 decimals."), ("six", "Enter a number.")):
        response = admin.post(f"{ADMIN}objective/add/", {**fields, "target": typed})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["target"] == [words]
    assert not Objective.objects.exists()


def test_the_objective_list_shows_targets_as_people_read_them(http_as, world, in_alpha):
    objective_save(kpi="visit_to_lead_rate", period="month", target=Decimal("0.06"))
    objective_save(kpi="cost_per_lead", period="month", dimension="channel", key="paid_search", target=Decimal("55"))
    objective_save(kpi="leads", period="week", target=Decimal("120"))
    html = _page(_french(http_as, world.manager_alpha), f"{ADMIN}objective/")
    assert f"6{NBSP}%" in html and f"55,00{NBSP}€" in html and ">120<" in html
    assert "0.060000" not in html and "55.000000" not in html and "120.000000" not in html
    assert "Taux de conversion visiteurs → leads" in html and "Coût par lead" in html and "Canal" in html
    assert "Visit-to-lead rate" not in html and "Cost per lead" not in html
    assert '<td class="field-shown_key">Recherche payante</td>' in html  # a built-in channel's key, by its name


def test_the_snapshot_list_and_its_filters_speak_french(http_as, golden, in_alpha):
    html = _page(
        _french(http_as, golden.manager_alpha),
        f"{ADMIN}snapshot/",
        {"period__exact": "month", "kpi__exact": "visit_to_lead_rate", "dimension__exact": "landing_page"},
    )
    assert Snapshot.objects.filter(kpi="visit_to_lead_rate", dimension="landing_page").exists()
    assert "Taux de conversion visiteurs → leads" in html and "Mot-clé" in html  # the rows and the filters
    assert "Visit-to-lead rate" not in html and ">landing_page<" not in html
    assert f"{NBSP}%" in html  # rates as percentages


@pytest.mark.parametrize(
    ("language", "kpi", "target", "entry", "shown"),
    [
        ("fr", "lead_to_customer_rate", "0.125000", "12,5", f"12,5{NBSP}%"),
        ("en", "lead_to_customer_rate", "0.125000", "12.5", "12.5%"),
        ("fr", "roi", "2.500000", "250", f"250{NBSP}%"),
        ("en", "leads", "1000.000000", "1000", "1,000"),
    ],
)
def test_the_conversion_rules(db, language, kpi, target, entry, shown):
    with translation.override(language):
        assert target_for_entry(kpi, Decimal(target)) == entry
        assert kpi_value_shown(kpi, Decimal(target)) == shown
        assert Decimal(target_from_entry(kpi, entry)) == Decimal(target)


def test_a_thousand_may_be_typed_as_french_writes_it(db):
    assert Decimal(target_from_entry("leads", "1\u00a0000")) == 1000
    assert Decimal(target_from_entry("spend", "12 500,50").replace(",", ".")) == Decimal("12500.50")


def test_the_admin_titles_read_as_french_writes_before_a_vowel(http_as, world, in_alpha):
    objective = objective_save(kpi="leads", period="month", target=Decimal("45"))
    admin = _french(http_as, world.manager_alpha)
    added = _page(admin, f"{ADMIN}objective/add/")
    changed = _page(admin, f"{ADMIN}objective/{objective.pk}/change/")
    assert "Ajout : objectif" in added and "Modification : objectif" in changed
    assert "de objectif" not in added + changed  # Django's own French: "Modification de objectif"
