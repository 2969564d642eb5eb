"""Chart CSV downloads open in French Excel for a French user (issue 14): a BOM, ``;`` between
cells, decimal commas without grouping, rates as percentages with ``(%)`` in the header. The English
file keeps its shape: a BOM, commas between cells, dot decimals, rates as fractions."""

import csv
import io
import re

from dashboards.tests.conftest import MARCH_QUERY
from kpis.models import Snapshot

PAGE = "/c/alpha/"
BOM = "\ufeff"


def _download(browser, chart: str, language: str) -> str:
    browser.cookies["django_language"] = language
    response = browser.get(f"{PAGE}dashboard/{chart}.csv", MARCH_QUERY)
    assert response.status_code == 200
    return response.content.decode("utf-8")


def _march(kpi: str) -> float:
    return Snapshot.objects.get(period="month", kpi=kpi, dimension="", start="2026-03-01").value


def test_a_french_download_has_a_bom_semicolons_decimal_commas_and_rates_in_percent(http_as, golden, in_alpha):
    text = _download(http_as(golden.viewer_alpha), "funnel", "fr")

    assert text.startswith(BOM)
    header, *rows = list(csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=";"))
    assert header == ["Étape", "Leads à l'étape", "Taux d'étape à étape (%)"]
    assert text.splitlines()[0] == BOM + ";".join(header)
    mql = next(r for r in rows if r[0] == "MQL")
    rate = _march("lead_to_mql_rate")
    assert mql[1] == str(round(_march("mqls")))
    assert mql[2] == f"{rate * 100:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    assert "," in mql[2] and "." not in mql[2]  # a fraction of leads: a decimal comma, never a point
    assert rows[0][2] == ""  # no rate into the first stage: an empty cell, not 0


def test_french_money_has_a_decimal_comma_and_no_thousands_separator(http_as, golden, in_alpha):
    from campaigns.models import Campaign

    text = _download(http_as(golden.viewer_alpha), "campaigns", "fr")
    header, *rows = list(csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=";"))
    assert header == ["Campagne", "Leads générés", "Coût par lead"]
    cpl = Snapshot.objects.get(
        period="month", kpi="cost_per_lead", dimension="campaign", key="linkedin-ads", start="2026-03-01"
    )
    linkedin = next(r for r in rows if r[0] == Campaign.objects.get(key="linkedin-ads").name)
    assert linkedin[2] == f"{cpl.value:.2f}".replace(".", ",")
    numbers = [cell for row in rows for cell in row[1:] if cell]
    assert numbers and all(re.fullmatch(r"-?\d+(,\d+)?", cell) for cell in numbers), numbers


def test_the_english_download_keeps_commas_dot_decimals_and_fractions(http_as, golden, in_alpha):
    text = _download(http_as(golden.viewer_alpha), "funnel", "en")

    assert text.startswith(BOM) and not text.startswith(BOM * 2)  # as before: one BOM, so accents read right
    assert ";" not in text
    assert text.splitlines()[0] == BOM + "Stage,Leads in the stage,Stage-to-stage rate"
    header, *rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    mql = next(r for r in rows if r[0] == "MQL")
    assert mql[2] == f"{_march('lead_to_mql_rate'):.6f}".rstrip("0").rstrip(".")
    assert text.endswith("\r\n")


def test_a_negative_french_number_stays_a_number_not_a_quoted_formula(http_as, golden, in_alpha):
    from dashboards.charts import Chart, Dataset
    from dashboards.csv_export import chart_csv
    from dashboards.formatting import Formatter
    from kpis.registry import Unit

    chart = Chart("t", "bar", "Mois", ["janv. 26"], [Dataset("Croissance", [-0.125], Unit.RATIO)])
    chart.extra_columns = [("Nom", ["=1+1"], "text")]
    assert chart_csv(chart, Formatter("fr", "EUR")) == BOM + "Mois;Croissance (%);Nom\r\njanv. 26;-12,5;'=1+1\r\n"
