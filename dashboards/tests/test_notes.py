"""The client's notes on the dashboard (dashboards/notes.py): listed beside the charts, handed to the
charts' markers as data with the charts' period starts, shown as the likely explanation of a flagged
card; added and deleted from the page by everyone but viewers, in the API's words; a fixed number of
queries whatever the number of notes."""

import json
import re
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation
from annotations.tests.factories import AnnotationFactory
from campaigns.tests.factories import CampaignFactory, builtin_channel
from dashboards.tests.conftest import GOLDEN_QUERY, MARCH_QUERY
from kpis.models import Snapshot

PAGE, API, ADD = "/c/alpha/", "/c/alpha/api/v1/dashboard/", "/c/alpha/annotations/add/"


def _markers(html: str) -> list[dict]:
    found = re.search(r'<script id="note-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def _card(html: str, kpi: str) -> str:
    start = html.index(f'data-testid="card-{kpi}"')
    return html[start : html.index("</li>", start)]


def test_the_notes_are_listed_beside_the_charts_and_handed_to_their_markers(http_as, golden, in_alpha):
    # given a note of the whole account over three days and one of a channel
    AnnotationFactory(start=date(2026, 3, 3), end=date(2026, 3, 5), text="Tracking cassé", author=golden.sales_alpha)
    AnnotationFactory(start=date(2026, 2, 10), text="Budget doublé", channel=builtin_channel("paid_search"))
    AnnotationFactory(start=date(2024, 2, 10), text="Trop ancienne")
    # when the client's viewer opens the first quarter
    html = http_as(golden.viewer_alpha).get(PAGE, GOLDEN_QUERY).content.decode()
    # then both notes are listed, newest first, with their dates, scope and author
    listed = re.findall(r'<p class="notes-list__text">(.*?)</p>', html)
    assert listed == ["Tracking cassé", "Budget doublé"]
    assert "sales@alpha.test" in html
    # and the charts' markers get plain ISO dates (a single day ends on its start)
    markers = _markers(html)
    assert [(m["start"], m["end"], m["text"]) for m in markers] == [
        ("2026-02-10", "2026-02-10", "Budget doublé"),
        ("2026-03-03", "2026-03-05", "Tracking cassé"),
    ]
    assert markers[0]["scope"] != markers[1]["scope"]
    # and a viewer reads them only
    assert 'data-testid="note-form"' not in html and "/annotations/" not in html.replace('id="annotations"', "")
    # and the time-series charts say which period each label starts, in ISO
    charts = {c["id"]: c for c in http_as(golden.viewer_alpha).get(API, GOLDEN_QUERY).json()["charts"]}
    assert charts["leads_visits"]["starts"] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert charts["leads_visits"]["step"] == "month"
    assert len(charts["mqls_by_channel"]["starts"]) == len(charts["mqls_by_channel"]["labels"])
    assert charts["funnel"]["starts"] == [] and charts["funnel"]["step"] is None


def test_a_drill_down_shows_the_account_notes_and_the_keys_own(http_as, golden, in_alpha):
    AnnotationFactory(start=date(2026, 3, 3), text="Tracking cassé")
    AnnotationFactory(start=date(2026, 3, 4), text="Google coupé", channel=builtin_channel("paid_search"))
    AnnotationFactory(start=date(2026, 3, 5), text="Newsletter", channel=builtin_channel("email"))
    drilled = GOLDEN_QUERY | {"dimension": "channel", "key": "paid_search"}
    html = http_as(golden.viewer_alpha).get(PAGE, drilled).content.decode()
    assert [m["text"] for m in _markers(html)] == ["Tracking cassé", "Google coupé"]


def test_a_flagged_card_shows_the_note_on_its_period_as_its_likely_explanation(http_as, golden, in_alpha):
    # given March's leads flagged, March's visits not
    Snapshot.objects.filter(period="month", kpi="leads", dimension="", start="2026-03-01").update(anomaly="down")
    Snapshot.objects.filter(period="month", kpi="visits", dimension="", start="2026-03-01").update(anomaly=None)
    # and a channel's note in March, then the whole account's
    AnnotationFactory(start=date(2026, 3, 2), text="Google coupé", channel=builtin_channel("paid_search"))
    browser = http_as(golden.viewer_alpha)
    assert 'data-role="explanation"' not in _card(browser.get(PAGE, MARCH_QUERY).content.decode(), "leads")
    AnnotationFactory(start=date(2026, 3, 3), end=date(2026, 3, 5), text="Tracking cassé")
    # when the viewer opens March
    html = browser.get(PAGE, MARCH_QUERY).content.decode()
    # then the flagged card names the account's note; the channel's explains the channel's rows only
    leads = _card(html, "leads")
    assert 'data-role="anomaly"' in leads
    assert re.search(r'data-role="explanation">[^<]*Tracking cassé</span>', leads)
    assert 'data-role="explanation"' not in _card(html, "visits")


def test_sales_add_and_delete_notes_from_the_dashboard_in_the_apis_words(http_as, golden, in_alpha):
    spring = CampaignFactory(key="printemps", name="Printemps")
    browser = http_as(golden.sales_alpha)
    page = browser.get(PAGE).content.decode()
    assert 'data-testid="note-form"' in page and f'value="campaign:{spring.pk}"' in page
    # when a sales person adds a note on the campaign
    added = browser.post(
        ADD,
        {"start": "2026-03-20", "text": " Lancement ", "scope": f"campaign:{spring.pk}", "query": "range=last"},
    )
    # then it is saved, theirs, and they are back on the dashboard state they came from
    assert added.status_code == 302 and added["Location"] == "/c/alpha/?range=last#annotations"
    note = Annotation.objects.get()
    assert (note.start, note.end, note.text, note.campaign, note.author) == (
        date(2026, 3, 20),
        None,
        "Lancement",
        spring,
        golden.sales_alpha,
    )
    # and a refused note is told in the same words as the API's field error
    bad = {"start": "2026-03-20", "end": "2026-03-01", "text": "x"}
    shown = browser.post(ADD, bad, follow=True).content.decode()
    api = browser.post("/c/alpha/api/v1/annotations/", bad, content_type="application/json").json()["end"][0]
    assert api in shown
    assert (
        "Choisissez un canal ou une campagne dans la liste."  # the agency's people speak French
        in browser.post(
            ADD, {"start": "2026-03-20", "text": "x", "scope": "channel:999999"}, follow=True
        ).content.decode()
    )
    assert Annotation.objects.count() == 1
    # and the note is deleted from the page
    assert browser.post(f"/c/alpha/annotations/{note.pk}/delete/").status_code == 302
    assert not Annotation.objects.exists()


def test_viewers_cannot_add_or_delete_a_note(http_as, golden, in_alpha):
    note = AnnotationFactory()
    viewer = http_as(golden.viewer_alpha)
    assert viewer.post(ADD, {"start": "2026-03-20", "text": "x"}).status_code == 403
    assert viewer.post(f"/c/alpha/annotations/{note.pk}/delete/").status_code == 403
    assert http_as(golden.viewer_beta).post(ADD, {"start": "2026-03-20", "text": "x"}).status_code == 404
    assert list(Annotation.objects.values_list("pk", flat=True)) == [note.pk]


def test_the_page_reads_the_notes_in_one_query_whatever_their_number(http_as, golden, in_alpha):
    browser = http_as(golden.manager_alpha)

    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(PAGE, GOLDEN_QUERY).status_code == 200
        return len(captured.captured_queries)

    statements()  # the first request of a session reads a little more
    none = statements()
    spring = CampaignFactory(key="printemps")
    for day in range(1, 25):
        scope = [{}, {"channel": builtin_channel("email")}, {"campaign": spring}][day % 3]
        author = [golden.sales_alpha, golden.manager_alpha, None][day % 3]
        AnnotationFactory(start=date(2026, 2, day), end=date(2026, 3, day), author=author, **scope)
    assert statements() == none
