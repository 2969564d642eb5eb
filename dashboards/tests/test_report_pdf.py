"""A client report's PDF (dashboards.report_print, dashboards.pdf): the print view of the golden
example's March, printed by the real chromium and read back with pypdf, holds the client, the period
and every card's value as the snapshots give it, formatted as on screen, and its charts; a section
left out is not there; another client's data never is. The print page in the browser: the same
document, for the client's people only, 400 on bad parameters."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from pypdf import PdfReader

from annotations.tests.factories import AnnotationFactory
from dashboards.cards import cardable_kpis
from dashboards.charts import CHART_TITLES
from dashboards.formatting import Formatter
from dashboards.pdf import PdfRenderError, html_to_pdf, report_pdf
from dashboards.report_print import report_html, report_period_kind
from dashboards.report_print_views import QUERY_LABELS
from dashboards.report_sections import DEFAULT_REPORT_SECTIONS, report_sections_checked
from kpis.custom.definitions import kpi_definitions
from kpis.models import Snapshot
from kpis.services import objective_save

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
PAGE = "/c/alpha/report-print/"


def _text(pdf: bytes) -> str:
    """The PDF's text as one line of words: NFKC undoes ligatures (ﬁ) and narrow no-break spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def _cards_as_snapshots_say(language: str) -> dict[str, str]:
    """Each card's name → its March value, from the snapshots, in the screen's format."""
    fmt, definitions = Formatter(language, connection.tenant.currency), kpi_definitions()
    values = dict(
        Snapshot.objects.filter(period="month", start=MARCH["period_start"], dimension="", key="").values_list(
            "kpi", "value"
        )
    )
    return {definitions[k].name(language): fmt.value(values.get(k), definitions[k].unit) for k in cardable_kpis(None)}


@pytest.fixture
def objectives(golden, in_alpha):
    """A monthly target on the leads (their status on the card) and a weekly one (the pacing chart)."""
    objective_save(kpi="leads", period="month", target=Decimal("30"))
    objective_save(kpi="leads", period="week", target=Decimal("10"))


def test_the_pdf_holds_the_client_the_period_every_card_and_the_charts(golden, in_alpha, objectives):
    # given the golden example's March, with a note on it
    AnnotationFactory(start=date(2026, 3, 10), text="Salon professionnel à Lyon")
    # when its report is printed in French with every section
    pdf = report_pdf(**MARCH, language="fr", sections=DEFAULT_REPORT_SECTIONS)
    text = _text(pdf)
    # then it holds the client, the period in words, day first, and the agency
    assert pdf.startswith(b"%PDF")
    assert "Alpha SAS" in text and "Agence Test" in text
    assert "Mars 2026" in text and "1 mars 2026 – 31 mars 2026" in text
    # and every card's name beside its value as the snapshots give it, formatted as on screen
    cards = _cards_as_snapshots_say("fr")
    assert len(cards) > 15
    for name, value in cards.items():
        assert _words(f"{name} {value}") in text, (name, value)
    assert cards["Leads générés"] == "35" and _words(cards["Coût par lead"]) == _words("352,19 €")  # not dashes
    # and the objective's target and status, the pacing and the note of the period
    assert _words("Objectif atteint · objectif 30") in text
    assert "Rythme du mois face aux objectifs hebdomadaires" in text and _words("79,0 %") in text
    assert "Salon professionnel à Lyon" in text
    # and the charts were drawn: Chart.js's canvases are images in the PDF (12 charts and the pacing)
    assert _images(pdf) >= 12


def test_a_section_left_out_is_not_in_the_pdf(golden, in_alpha, objectives):
    AnnotationFactory(start=date(2026, 3, 10), text="Salon professionnel à Lyon")
    with translation.override("en"):
        pdf = report_pdf(**MARCH, language="en", sections=["pinned"])
    text = _text(pdf)
    # the pinned cards are there, in English, with the period in English
    assert "Alpha SAS" in text and "March 2026" in text and "1 March 2026 – 31 March 2026" in text
    assert _words("Leads generated 35") in text
    # and nothing else: no family of cards, no chart, no note, no objective, no image
    assert "Lead qualification" not in text and "Email" not in text
    assert not any(str(title) in text for title in CHART_TITLES.values())
    assert "Salon professionnel" not in text and "Objectives and pacing" not in text
    assert _images(pdf) == 0


@pytest.mark.parametrize(
    ("sections", "present", "absent"),
    [
        (["families"], ['data-section="acquisition"'], ['data-section="pinned"', 'data-section="charts"']),
        (["charts"], ['data-chart="leads_visits"'], ['data-chart="pacing"', "kpi-card", 'data-section="annotations"']),
        (["annotations"], ["Une note de mars"], ["kpi-card", 'data-chart="', 'data-section="objectives"']),
        (
            ["objectives"],
            ['data-chart="pacing"', 'data-testid="objectives"'],
            ['data-chart="leads_visits"', "kpi-card"],
        ),
    ],
)
def test_each_section_alone(golden, in_alpha, objectives, sections, present, absent):
    AnnotationFactory(start=date(2026, 3, 10), text="Une note de mars")
    html = report_html(**MARCH, language="fr", sections=sections)
    body = html[html.index("<body") : html.index('<script id="dashboard-payload"')]
    for marker in present:
        assert marker in body
    for marker in absent:
        assert marker not in body
    if "annotations" not in sections:
        assert "Une note de mars" not in html  # not in the data either (a card's explanation, a marker)


def test_another_clients_data_never_appears(golden, in_client):
    # given a note in beta and the golden data in alpha
    in_client(golden.beta)
    AnnotationFactory(start=date(2026, 3, 12), text="Secret de Beta")
    beta_html = report_html(**MARCH, language="fr", sections=DEFAULT_REPORT_SECTIONS)
    in_client(golden.alpha)
    alpha_html = report_html(**MARCH, language="fr", sections=DEFAULT_REPORT_SECTIONS)
    # then each report is its own client's
    assert "Beta SARL" in beta_html and "Secret de Beta" in beta_html and "352,19" not in beta_html
    assert "Alpha SAS" not in beta_html
    assert "Alpha SAS" in alpha_html and "352,19" in alpha_html
    assert "Beta SARL" not in alpha_html and "Secret de Beta" not in alpha_html


def test_the_print_page_is_the_report_for_the_clients_people_only(golden, http_as, in_alpha):
    query = {"start": "2026-03-01", "end": "2026-03-31", "lang": "fr", "sections": "pinned,charts"}
    response = http_as(golden.viewer_alpha).get(PAGE, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert html == report_html(**MARCH, language="fr", sections=["pinned", "charts"])
    # its inline scripts and style run under its own policy: allowed by their hashes, nothing else
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and policy.count("'sha256-") == 4 and "default-src 'none'" in policy
    inline = re.findall(r"<script>(.*?)</script>", html, re.S) + re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(inline) == 4
    for text in inline:
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    # another client's person and a stranger get nothing
    assert http_as(golden.viewer_beta).get(PAGE, query).status_code == 404
    assert http_as(golden.other_owner).get(PAGE, query).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"end": "2026-03-31"}, "start"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),
        ({"start": "2026-03-01", "end": "2026-04-30"}, "end"),  # 61 days
        ({"start": "2026-03-02", "end": "2026-03-31"}, "end"),  # not a whole month
        ({"start": "2026-03-03", "end": "2026-03-09"}, "end"),  # Tuesday to Monday
        ({"start": "1999-12-01", "end": "1999-12-31"}, "start"),
        ({"start": "2026-3-1", "end": "2026-03-31"}, "start"),
        ({"start": "20260301", "end": "2026-03-31"}, "start"),
        ({"start": "2026-03-01", "end": "2026-03-31", "lang": "de"}, "lang"),
        ({"start": "2026-03-01", "end": "2026-03-31", "sections": "charts,secrets"}, "sections"),
        ({"start": "2026-03-01", "end": "2026-03-31", "sections": "charts,charts"}, "sections"),
        ({"start": "2026-03-01", "end": "2026-03-31", "sections": "x" * 300}, "sections"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(golden, http_as, query, field):
    response = http_as(golden.viewer_alpha).get(PAGE, query)
    assert response.status_code == 400
    errors = re.search(r'data-testid="state-errors">(.*?)</ul>', response.content.decode(), re.S).group(1)
    with translation.override("fr"):  # the agency's language
        assert re.findall(r"<strong>(.*?)</strong>", errors) == [str(QUERY_LABELS[field])]


def test_a_weeks_report_says_its_days_in_the_language(golden, in_alpha):
    week = {"period_start": date(2026, 3, 2), "period_end": date(2026, 3, 8), "sections": ["pinned"]}
    french, english = report_html(**week, language="fr"), report_html(**week, language="en")
    assert '<html lang="fr">' in french and "2 mars 2026 – 8 mars 2026" in french
    assert '<html lang="en">' in english and "2 March 2026 – 8 March 2026" in english and "Weekly report" in english


def test_a_week_and_a_month_are_the_periods_a_report_covers():
    assert report_period_kind(date(2026, 3, 2), date(2026, 3, 8)) == "week"
    assert report_period_kind(date(2026, 2, 1), date(2026, 2, 28)) == "month"
    assert report_period_kind(date(2024, 2, 1), date(2024, 2, 29)) == "month"
    for start, end in [(date(2026, 3, 1), date(2026, 3, 7)), (date(2026, 2, 1), date(2026, 3, 1))]:
        with pytest.raises(ValidationError):
            report_period_kind(start, end)


def test_a_report_in_a_language_pouls_does_not_speak_is_refused(golden, in_alpha):
    with pytest.raises(ValidationError) as refused:
        report_html(**MARCH, language="de", sections=["pinned"])
    assert list(refused.value.message_dict) == ["lang"]


def test_sections_come_back_in_the_reports_order_and_unknown_or_twice_is_refused():
    assert report_sections_checked(["objectives", "pinned", "charts"]) == ["pinned", "charts", "objectives"]
    assert report_sections_checked([]) == []
    with translation.override("en"):
        with pytest.raises(ValidationError) as unknown:
            report_sections_checked(["charts", "secrets"])
        # read inside the override: the messages are lazy, translated when read
        assert unknown.value.messages == [
            "Unknown report section: secrets. Choose among: families, pinned, charts, annotations, objectives."
        ]
    with pytest.raises(ValidationError):
        report_sections_checked(["charts", "charts"])


def test_chromium_failing_or_too_slow_is_a_clear_error(settings, tmp_path):
    settings.POULS_CHROMIUM = "no-such-chromium"
    with pytest.raises(PdfRenderError, match="not found"):
        html_to_pdf("<p>x</p>")
    failing = tmp_path / "failing-chromium"
    failing.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    failing.chmod(0o755)
    settings.POULS_CHROMIUM = str(failing)
    with pytest.raises(PdfRenderError, match="exit code 3.*cannot open display"):
        html_to_pdf("<p>x</p>")
    stuck = tmp_path / "stuck-chromium"
    stuck.write_text("#!/bin/sh\necho 'hanging' >&2\nexec sleep 600\n")
    stuck.chmod(0o755)
    settings.POULS_CHROMIUM, settings.POULS_PDF_TIMEOUT_SECONDS = str(stuck), 1
    with pytest.raises(PdfRenderError, match="within 1 s"):
        html_to_pdf("<p>x</p>")
