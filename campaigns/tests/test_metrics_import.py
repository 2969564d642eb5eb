"""The ``metrics`` import (docs/imports.md): series the product does not track itself (social
mentions, reviews) come in by file or API, atomically and idempotently, with the line errors of every
other kind, and become measures of the KPI engine (``metric:<name>``)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from campaigns.imports.jobs import import_job_run
from campaigns.imports.runner import import_kinds
from campaigns.imports.template_files import template_csv
from campaigns.models import MetricValue
from campaigns.rules import MAX_METRIC_VALUE
from campaigns.tests.test_imports import run_import
from kpis.models import DirtyDay, Measure
from kpis.refresh import kpi_snapshot_refresh

MENTIONS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "metrics" / "mentions.csv"
API = "/c/alpha/api/v1/imports/"


def values() -> dict:
    return {(v.metric, v.date, v.key): v.value for v in MetricValue.objects.all()}


def test_the_french_mentions_file_imports_and_twice_changes_nothing(in_alpha):
    # given the French file (';', day-first dates, a decimal comma, a row without key)
    code, out, err = run_import(MENTIONS, "metrics", language="fr")
    # then every row is stored as read
    assert code == 0, err
    assert values() == {
        ("mentions", date(2026, 3, 2), "linkedin"): Decimal("12"),
        ("mentions", date(2026, 3, 2), "instagram"): Decimal("7"),
        ("mentions", date(2026, 3, 3), "linkedin"): Decimal("9"),
        ("mentions", date(2026, 3, 3), "instagram"): Decimal("4"),
        ("mentions", date(2026, 3, 4), ""): Decimal("3"),
        ("mentions", date(2026, 3, 9), "linkedin"): Decimal("15"),
        ("avis_clients", date(2026, 3, 3), ""): Decimal("2.50"),
    }
    stamps = dict(MetricValue.objects.values_list("pk", "updated_at"))
    DirtyDay.objects.all().delete()
    # when the same file comes again
    code, out, err = run_import(MENTIONS, "metrics", language="fr")
    # then nothing changes, not even a timestamp, and no day is marked for the KPIs
    assert code == 0, err
    assert "inchangées\xa0: 7" in out
    assert dict(MetricValue.objects.values_list("pk", "updated_at")) == stamps
    assert not DirtyDay.objects.exists()


def test_a_row_imported_again_with_another_value_replaces_it_and_marks_its_day(in_alpha, tmp_path):
    run_import(MENTIONS, "metrics", language="fr")
    DirtyDay.objects.all().delete()
    changed = tmp_path / "again.csv"
    changed.write_text("date;metric;key;value\n02/03/2026;mentions;linkedin;20\n", encoding="utf-8")
    code, _out, err = run_import(changed, "metrics", language="fr")
    assert code == 0, err
    assert values()[("mentions", date(2026, 3, 2), "linkedin")] == Decimal("20")
    assert MetricValue.objects.count() == 7
    assert set(DirtyDay.objects.values_list("source", "day")) == {("metric:mentions", date(2026, 3, 2))}


def test_a_bad_file_is_refused_whole_with_every_bad_line(in_alpha, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,metric,key,value\n"
        "2026-03-02,mentions,,12\n"  # good
        "2026-03-02,leads,,3\n"  # a measure the product computes
        "2026-03-02,social-mentions,,3\n"  # a formula would read a minus
        "2026-03-02,mentions,,douze\n"
        "1999-12-31,mentions,,1\n"
        "2026-03-02,mentions,,5\n"  # same identity as line 2
        "2026-03-03,calls,,-4\n",  # good: a metric may fall
        encoding="utf-8",
    )
    code, _out, err = run_import(bad, "metrics")
    assert code == 1
    assert "line 3, column metric: 'leads' is a measure the product computes itself: choose another name." in err
    assert "line 4, column metric: A metric name starts with a letter" in err
    assert "line 5, column value: 'douze' is not a number" in err
    assert "line 6, column date: Enter a date between 2000-01-01 and" in err
    assert "line 7, column date: same date, metric, key as line 2" in err
    assert not MetricValue.objects.exists()  # atomic: nothing written


def test_line_errors_in_french(in_alpha, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date;metric;value\n02/03/2026;leads;3\n", encoding="utf-8")
    code, _out, err = run_import(bad, "metrics", language="fr")
    assert code == 1
    # (the reason's French words come with the catalogue: /tmp/pouls/fr-custom.po until it is merged)
    assert "ligne 2, colonne metric\xa0: " in err and "leads" in err


def test_the_kind_has_its_template_and_columns():
    spec = import_kinds()["metrics"]
    assert spec.required == ("date", "metric", "value") and spec.optional == ("key",)
    with translation.override("fr"):
        assert template_csv(spec, first=True).decode("utf-8-sig").splitlines() == [
            "date;metric;value;key",
            "15/01/2026;mentions;42,00;linkedin",
        ]


def test_the_api_imports_metrics(http_as, world, in_alpha):
    manager = http_as(world.manager_alpha)
    upload = SimpleUploadedFile("mentions.csv", MENTIONS.read_bytes(), "text/csv")
    response = manager.post(API, {"kind": "metrics", "file": upload})
    assert response.status_code == 202, response.content
    import_job_run(job_id=response.json()["id"])
    job = manager.get(f"{API}{response.json()['id']}/").json()
    assert job["status"] == "done", job["errors"]
    assert job["result"]["created"] == 7


def test_a_metric_is_a_measure_summed_over_its_keys(in_alpha):
    run_import(MENTIONS, "metrics", language="fr")
    kpi_snapshot_refresh(full=True)
    month = Measure.objects.get(period="month", source="metric:mentions", start=date(2026, 3, 1), dimension="")
    assert month.m0 == Decimal("50")  # 12 + 7 + 9 + 4 + 3 + 15
    week = Measure.objects.get(period="week", source="metric:mentions", start=date(2026, 3, 2), dimension="")
    assert week.m0 == Decimal("35")
    assert not Measure.objects.filter(source__startswith="metric:").exclude(dimension="").exists()


def test_the_largest_values_accepted_still_sum_into_the_measures(in_alpha, tmp_path):
    # given two days of a month at the largest value a file may bring, and a larger one refused
    top = f"{MAX_METRIC_VALUE:f}"
    big = tmp_path / "big.csv"
    big.write_text(f"date,metric,value\n2026-03-02,calls,{top}\n2026-03-03,calls,{top}\n", encoding="utf-8")
    code, _out, err = run_import(big, "metrics")
    assert code == 0, err
    too_big = tmp_path / "too-big.csv"
    too_big.write_text(
        f"date,metric,value\n2026-03-04,calls,{MAX_METRIC_VALUE + 1:f}\n2026-03-05,calls,9e99999999\n"
        "2026-03-06,calls,-9e99999999\n",
        encoding="utf-8",
    )
    code, _out, err = run_import(too_big, "metrics")
    assert code == 1 and [f"line {n}, column value: This number is too large." in err for n in (2, 3, 4)] == [True] * 3
    # when the KPIs are refreshed, then their sum is the month's measure (it overflowed the column)
    kpi_snapshot_refresh(full=True)
    month = Measure.objects.get(period="month", source="metric:calls", start=date(2026, 3, 1), dimension="")
    assert month.m0 == 2 * MAX_METRIC_VALUE


def test_the_client_admin_lists_metrics_and_deletes_them(http_as, world, in_alpha):
    run_import(MENTIONS, "metrics", language="fr")
    admin = http_as(world.manager_alpha)
    page = admin.get("/c/alpha/admin/campaigns/metricvalue/", {"metric": "avis_clients"}).content.decode()
    assert "avis_clients" in page and "2,50" in page
    assert admin.get("/c/alpha/admin/campaigns/metricvalue/add/").status_code == 403  # files bring them in
    row = MetricValue.objects.get(metric="avis_clients")
    DirtyDay.objects.all().delete()
    response = admin.post(f"/c/alpha/admin/campaigns/metricvalue/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not MetricValue.objects.filter(metric="avis_clients").exists()
    assert set(DirtyDay.objects.values_list("source", "day")) == {("metric:avis_clients", date(2026, 3, 3))}
