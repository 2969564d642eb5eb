"""Good news is not red (issue 14): one rule gives the tone of a change or an anomaly from the KPI's
better direction, and the cards wear it."""

from django.db import connection
from django_tenants.utils import tenant_context

from conftest import GOLDEN_AS_OF
from dashboards.tests.conftest import GOLDEN_QUERY, MARCH_QUERY
from dashboards.tone import Tone, change_tone, tone
from kpis.models import Snapshot
from kpis.refresh import kpi_snapshot_refresh
from tests.test_golden_kpis import import_golden


def test_more_leads_is_good():
    assert change_tone("leads", 120, 100) == Tone.GOOD


def test_a_lower_cost_per_lead_is_good_and_a_higher_one_bad():
    assert change_tone("cost_per_lead", 40, 55) == Tone.GOOD
    assert change_tone("cost_per_lead", 55, 40) == Tone.BAD


def test_fewer_leads_is_bad():
    assert change_tone("leads", 80, 100) == Tone.BAD


def test_no_change_or_no_comparison_is_neutral():
    assert change_tone("leads", 100, 100) == Tone.NEUTRAL
    assert change_tone("cost_per_lead", 40, None) == Tone.NEUTRAL


def test_a_kpi_without_a_better_direction_is_neutral():
    assert change_tone("spend", 900, 500) == Tone.NEUTRAL


def test_an_anomaly_is_judged_by_its_direction():
    assert tone("leads", "up") == Tone.GOOD  # a spike in leads is good news, not a red warning
    assert tone("leads", "down") == Tone.BAD
    assert tone("cost_per_lead", "up") == Tone.BAD
    assert tone("cost_per_lead", None) == Tone.NEUTRAL


def _leads_card(http_as, golden) -> str:
    html = http_as(golden.viewer_alpha).get("/c/alpha/", MARCH_QUERY).content.decode()
    start = html.index('data-testid="card-leads"')
    return html[start : html.index("</li>", start)]


def test_the_leads_card_with_a_fall_carries_the_bad_tone(http_as, golden, in_alpha):
    march = Snapshot.objects.get(period="month", kpi="leads", dimension="", start="2026-03-01")
    assert march.value < march.previous_value  # the golden example: 35 leads in March after 42

    card = _leads_card(http_as, golden)

    assert 'class="kpi-card__change tone-bad"' in card and "(moins bien)" in card


def test_the_leads_card_with_a_rise_carries_the_good_tone(http_as, golden, in_alpha):
    # given a February with fewer leads than March (the golden one had more)
    Snapshot.objects.filter(period="month", kpi="leads", dimension="", start="2026-03-01").update(previous_value=30)

    card = _leads_card(http_as, golden)

    assert 'class="kpi-card__change tone-good"' in card
    assert "(mieux)" in card  # in words too, not colour alone


def test_the_portfolio_judges_the_change_by_the_same_rule(http_as, world):
    # given alpha's golden month: 35 leads in March after 42, a fall
    import_golden()
    with tenant_context(world.alpha):
        kpi_snapshot_refresh(full=True, as_of=GOLDEN_AS_OF)
    connection.set_schema_to_public()

    html = http_as(world.owner).get("/").content.decode()

    start = html.index('data-client="alpha"')
    cell = html[html.index('data-kpi="leads"', start) :]
    cell = cell[: cell.index("</td>")]
    assert 'class="small tone-bad"' in cell and "(moins bien)" in cell


def test_chart_anomalies_carry_their_tone(http_as, golden, in_alpha):
    Snapshot.objects.filter(period="month", kpi="leads", dimension="", start="2026-02-01").update(anomaly="up")

    body = http_as(golden.viewer_alpha).get("/c/alpha/api/v1/dashboard/", GOLDEN_QUERY).json()

    leads = body["charts"][0]["datasets"][0]
    assert leads["anomalies"][1] == "up" and leads["tones"][1] == "good"  # a spike in leads is good news
