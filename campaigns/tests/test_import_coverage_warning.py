"""The import preview warns of the rows a connector covers (campaigns.imports.coverage_warning):
they are written but not counted (campaigns.coverage), named from the connectors' labels."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from campaigns.imports.runner import import_dry_run
from campaigns.models import Campaign, FactCoverage, PlatformCampaign

NOV = {"first_day": date(2026, 11, 1), "last_day": date(2026, 11, 30)}


def _dry_run(kind: str, body: str) -> list[str]:
    with translation.override("en"):
        return import_dry_run(kind=kind, data=body.encode())["warnings"]


def test_spend_rows_on_days_and_campaigns_an_ad_platform_covers(in_alpha):
    brand = Campaign.objects.create(key="brand", name="Brand")
    Campaign.objects.create(key="generic", name="Generic")
    PlatformCampaign.objects.create(source="google_ads", external_id="1", name="Brand", campaign=brand)
    body = "date,campaign,amount\n2026-11-02,brand,10\n2026-11-03,brand,10\n2026-10-31,brand,10\n2026-11-02,generic,5\n"
    assert _dry_run("spend", body) == []  # no coverage yet: everything counts
    FactCoverage.objects.create(source="google_ads", fact="spend", **NOV)
    # November's brand rows are Google Ads': October's and generic's still count
    assert _dry_run("spend", body) == [
        "2 rows of this file fall on days and campaigns Google Ads covers: they are kept but not counted."
    ]


def test_traffic_rows_on_days_ga4_covers(in_alpha):
    FactCoverage.objects.create(source="ga4", fact="traffic", **NOV)
    body = "date,visits\n2026-11-30,10\n2026-12-01,10\n"
    assert _dry_run("traffic", body) == [
        "1 row of this file falls on days Google Analytics 4 covers: it is kept but not counted."
    ]
    assert _dry_run("keywords", "date,keyword,visits\n2026-11-30,crm,3\n") == []  # keywords: not covered


def test_the_api_dry_run_carries_the_warning(http_as, world, in_alpha):
    FactCoverage.objects.create(source="search_console", fact="keyword", **NOV)
    upload = SimpleUploadedFile("k.csv", b"date,keyword,visits\n2026-11-05,crm,3\n2026-11-06,crm,4\n", "text/csv")
    answer = http_as(world.manager_alpha).post(
        "/c/alpha/api/v1/imports/", {"kind": "keywords", "file": upload, "dry_run": "true"}
    )
    assert answer.status_code == 200, answer.content
    assert len(answer.json()["warnings"]) == 1 and "Google Search Console" in answer.json()["warnings"][0]
