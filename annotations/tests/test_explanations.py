"""An anomaly flag on a period with a note carries the note as its likely explanation, in the
anomalies API (docs/kpis.md §6): a note of the whole account explains any row, a channel's or a
campaign's only that key's rows; one query for the notes whatever the number of anomalies."""

from datetime import UTC, date, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.tests.factories import AnnotationFactory
from campaigns.tests.factories import CampaignFactory, builtin_channel
from kpis.models import Snapshot

ANOMALIES = "/c/alpha/api/v1/kpis/anomalies/"


def _flag(start: str, direction: str, dimension: str = "", key: str = "") -> Snapshot:
    return Snapshot.objects.create(
        kpi="leads",
        period="month",
        start=date.fromisoformat(start),
        dimension=dimension,
        key=key,
        value=10.0,
        anomaly=direction,
        baseline_median=40.0,
        baseline_low=30.0,
        baseline_high=50.0,
        as_of=datetime(2026, 4, 15, tzinfo=UTC),
        definition_version=1,
    )


def _explanations(browser, **query) -> dict[tuple[str, str | None], str | None]:
    response = browser.get(ANOMALIES, {"period": "month", "from": "2026-01-01", "to": "2026-03-01"} | query)
    assert response.status_code == 200, response.content
    return {
        (row["start"], row["key"]): row["explanation"]["text"] if row["explanation"] else None
        for row in response.json()["results"]
    }


def test_each_anomaly_carries_the_note_on_its_period_and_key(http_as, world, in_alpha):
    # given flags in January and March (totals), March for a channel, February for a campaign
    spring = CampaignFactory(key="printemps")
    for start, direction in (("2026-01-01", "up"), ("2026-03-01", "down")):
        _flag(start, direction)
    _flag("2026-03-01", "down", "channel", "paid_search")
    _flag("2026-03-01", "down", "channel", "email")
    _flag("2026-02-01", "up", "campaign", "printemps")
    # and notes: the whole account in March, paid search from the end of February, the campaign's launch
    tracking = AnnotationFactory(start=date(2026, 3, 3), end=date(2026, 3, 5), text="Tracking cassé")
    AnnotationFactory(
        start=date(2026, 2, 27), end=date(2026, 3, 2), text="Budget coupé", channel=builtin_channel("paid_search")
    )
    AnnotationFactory(start=date(2026, 2, 10), text="Lancement", campaign=CampaignFactory(key="ete"))
    AnnotationFactory(start=date(2026, 2, 12), text="Printemps lancé", campaign=spring)
    browser = http_as(world.viewer_alpha)
    # then
    assert _explanations(browser) == {("2026-01-01", None): None, ("2026-03-01", None): "Tracking cassé"}
    assert _explanations(browser, dimension="channel") == {
        ("2026-03-01", "email"): "Tracking cassé",  # the whole account's note
        ("2026-03-01", "paid_search"): "Budget coupé",  # its own, older than the account's
    }
    # a campaign's note explains that campaign only (the note on "ete" does not explain "printemps")
    assert _explanations(browser, dimension="campaign") == {("2026-02-01", "printemps"): "Printemps lancé"}
    row = browser.get(ANOMALIES, {"period": "month", "from": "2026-03-01", "to": "2026-03-01"}).json()["results"][0]
    assert row["explanation"] == {
        "id": tracking.pk,
        "start": "2026-03-03",
        "end": "2026-03-05",
        "text": "Tracking cassé",
        "channel": None,
        "campaign": None,
    }


def test_the_query_count_does_not_grow_with_the_anomalies(http_as, world, in_alpha):
    for month in range(1, 13):
        _flag(f"2025-{month:02d}-01", "up")
        AnnotationFactory(start=date(2025, month, 5))
    browser = http_as(world.viewer_alpha)

    def statements(first: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(ANOMALIES, {"period": "month", "from": first, "to": "2025-12-01"}).status_code == 200
        return len(captured.captured_queries)

    statements("2025-12-01")  # the first request of a session reads a little more
    assert statements("2025-12-01") == statements("2025-01-01")
