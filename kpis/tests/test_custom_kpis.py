"""Custom KPIs (docs/kpis.md, "Custom KPIs and metrics"): formulas read by a real parser with
errors at their position, evaluated in the refresh's own pass (a formula equal to a built-in KPI
gives its snapshots exactly), division by zero null, metrics as measures, a version per formula, and
each client's KPIs its own."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection
from django.utils import translation
from django_tenants.utils import tenant_context

from campaigns.tests.test_imports import run_import
from config.errors import DomainError
from kpis.custom.definitions import CACHE
from kpis.custom.parser import FormulaError, formula_evaluate, formula_parse, formula_ratio, formula_sql
from kpis.custom.services import MAX_CUSTOM_KPIS, custom_kpi_delete, custom_kpi_save, custom_kpi_validate
from kpis.measures import SOURCE_OF_MEASURE, metric_source, source_measures
from kpis.models import CustomKPI, Objective, Snapshot
from kpis.refresh import kpi_snapshot_refresh, snapshots
from kpis.report import kpi_compute

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 4, 15, tzinfo=PARIS)
MENTIONS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "metrics" / "mentions.csv"
SAME = (
    "value",
    "numerator",
    "denominator",
    "previous_value",
    "change",
    "anomaly",
    "baseline_median",
    "baseline_low",
    "baseline_high",
    "is_partial",
)


@pytest.fixture(autouse=True)
def _definitions_forgotten(world):
    """The test clients live for the session: no definition they cache here outlives its test's rollback."""
    yield
    for client in (world.alpha, world.beta, world.gamma):
        client.__dict__.pop(CACHE, None)


def formula_error(text: str, names=("spend", "leads", "sqls", "visits", "mqls")) -> str:
    with pytest.raises(FormulaError) as caught:
        formula_parse(text, names=set(names).__contains__)
    return caught.value.message


# --- the parser -----------------------------------------------------------------------------------


@translation.override("en")
def test_errors_point_at_their_position():
    assert formula_error("spend / sqlz") == "position 9: unknown measure 'sqlz'"
    assert formula_error("(spend - leads / sqls") == "position 1: '(' is never closed"
    assert formula_error("spend / leads)") == "position 14: ')' closes no '('"
    assert formula_error("spend /") == "position 8: the formula ends where a measure, a number or '(' is expected"
    assert formula_error("spend * / leads") == "position 9: a measure, a number or '(' is expected, not '/'"
    assert formula_error("spend leads") == "position 7: an operator is expected before 'leads'"
    assert formula_error("spend % leads") == "position 7: unexpected character '%'"
    assert formula_error("   ") == "position 1: the formula is empty"
    assert formula_error("spend + " * 70 + "leads") == "position 501: a formula has at most 500 characters"
    assert formula_error("(" * 25 + "spend" + ")" * 25) == "position 22: nested too deeply (at most 20 levels)"
    assert formula_error("import os") == "position 1: unknown measure 'import'"
    assert formula_error("spend / \u0661") == "position 9: unexpected character '\u0661'"  # ASCII digits only


def test_errors_in_french():
    with translation.override("fr"):
        message = formula_error("spend / sqlz")
    assert message == "position 9\xa0: mesure inconnue «\xa0sqlz\xa0»"


def test_precedence_unary_minus_and_numbers():
    tree = formula_parse("-(revenue - spend) / customers * 2 + 0.5")
    measures = {"revenue": np.array([10.0, 5.0]), "spend": np.array([4.0, 5.0]), "customers": np.array([3.0, 0.0])}
    value = formula_evaluate(tree, measures.__getitem__)
    assert value[0] == pytest.approx(-(10 - 4) / 3 * 2 + 0.5)
    assert np.isnan(value[1])  # a division by 0 is null, and null spreads
    assert formula_ratio(formula_parse("SPEND / sqls")) is not None  # names are case-blind
    assert formula_ratio(tree) is None  # a sum at the top: no numerator or denominator
    sql = formula_sql(formula_parse("(revenue - spend) / customers"), lambda name: f"m.{name}")
    assert sql == "((m.revenue - m.spend) / NULLIF(m.customers, 0))"


def test_a_value_beyond_floats_range_is_null_never_infinite():
    # a number of 400 digits, or a product that overflows: an infinity would reach the snapshots
    measures = {"spend": np.array([0.0, 2.0]), "leads": np.array([1e200, 3.0])}
    huge = formula_evaluate(formula_parse("spend * 1" + "0" * 400 + " + leads"), measures.__getitem__)
    assert np.isnan(huge).all()
    squared = formula_evaluate(formula_parse("leads * leads / spend"), measures.__getitem__)
    assert np.isnan(squared[0]) and squared[1] == pytest.approx(4.5)


def test_formula_sql_divides_by_zero_into_null(db):
    sql = formula_sql(formula_parse("spend / leads + 1"), {"spend": "a", "leads": "b"}.__getitem__)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM (VALUES (10::numeric, 4::numeric), (10, 0)) v(a, b)")
        assert [row[0] for row in cursor.fetchall()] == [pytest.approx(3.5), None]


# --- the rule --------------------------------------------------------------------------------------


@translation.override("en")
def test_the_rule_refuses_on_each_field(in_alpha):
    def refusal(**values) -> tuple[str, str]:
        base = {"key": "cost_per_sql_x", "name": "Coût", "formula": "spend / sqls", "unit": "money", "better": "down"}
        with pytest.raises(DomainError) as caught:
            custom_kpi_validate(**{**base, **values})
        return caught.value.field, caught.value.message

    assert refusal(formula="spend / sqlz") == ("formula", "position 9: unknown measure 'sqlz'")
    assert refusal(formula="2 * 3") == ("formula", "position 1: a formula names at least one measure")
    assert refusal(key="cost_per_lead")[0] == "key"  # a built-in KPI's key
    assert refusal(key="Coût")[0] == "key"
    assert refusal(unit="euros")[0] == "unit"
    assert refusal(name=" ")[0] == "name"
    assert refusal(dimensions=["offer"]) == (
        "dimensions",
        "spend, sqls cannot be broken down by 'offer' (possible: channel, campaign).",
    )
    values = custom_kpi_validate(key="cps", name="Coût", formula="spend / sqls", unit="money", better="down")
    assert values["dimensions"] == ["channel", "campaign"]  # what both measures allow


def test_a_client_has_a_bounded_number_of_custom_kpis(in_alpha):
    # given as many custom KPIs as a client may have
    CustomKPI.objects.bulk_create(
        CustomKPI(key=f"k{n}", name=f"K{n}", formula="spend / leads", unit="money") for n in range(MAX_CUSTOM_KPIS)
    )
    # then one more is refused on its key, and changing one still works
    with pytest.raises(DomainError) as caught:
        custom_kpi_validate(key="one_more", name="x", formula="spend", unit="money")
    assert caught.value.field == "key" and str(MAX_CUSTOM_KPIS) in caught.value.message
    assert custom_kpi_validate(instance=CustomKPI.objects.get(key="k0"), name="Renamed")["name"] == "Renamed"


def test_the_api_answers_400_on_the_formula_and_managers_alone_write(http_as, world, in_alpha):
    manager, viewer = http_as(world.manager_alpha), http_as(world.viewer_alpha)
    url = "/c/alpha/api/v1/kpis/custom/"
    body = {"key": "cost_per_sql_x", "name": "Coût par SQL", "formula": "spend / sqlz", "unit": "money"}
    response = manager.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["formula"] == ["position 9\xa0: mesure inconnue «\xa0sqlz\xa0»"]  # in the manager's language
    assert viewer.post(url, {**body, "formula": "spend / sqls"}, content_type="application/json").status_code == 403
    created = manager.post(url, {**body, "formula": "spend / sqls"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 1 and created.json()["dimensions"] == ["channel", "campaign"]
    assert [k["key"] for k in viewer.get(url).json()] == ["cost_per_sql_x"]  # others read
    definitions = viewer.get("/c/alpha/api/v1/kpis/definitions/").json()
    assert definitions[-1]["key"] == "cost_per_sql_x" and definitions[-1]["family"] == "custom"
    patched = manager.patch(f"{url}cost_per_sql_x/", {"formula": "spend/sqls"}, content_type="application/json")
    assert patched.json()["version"] == 1  # respaced: the same formula
    patched = manager.patch(f"{url}cost_per_sql_x/", {"formula": "spend / mqls"}, content_type="application/json")
    assert patched.json()["version"] == 2
    assert manager.delete(f"{url}cost_per_sql_x/").status_code == 204
    assert not CustomKPI.objects.exists()


def test_a_key_no_kpi_can_have_is_a_404(http_as, world, in_alpha):
    manager = http_as(world.manager_alpha)
    for key in ("%00", "a%00b", "cl%C3%A9"):  # a NUL byte reached PostgreSQL: a 500
        assert manager.get(f"/c/alpha/api/v1/kpis/custom/{key}/").status_code == 404
        patched = manager.patch(f"/c/alpha/api/v1/kpis/custom/{key}/", {"name": "x"}, content_type="application/json")
        assert patched.status_code == 404


# --- the snapshots ---------------------------------------------------------------------------------


def rows(kpi: str) -> dict:
    return {
        (s["period"], s["dimension"], s["key"], s["start"]): tuple(s[c] for c in SAME)
        for s in Snapshot.objects.filter(kpi=kpi).values("period", "dimension", "key", "start", *SAME)
    }


def test_a_formula_equal_to_a_built_in_kpi_gives_the_same_snapshots(in_alpha, golden):
    # given the golden example, and cost per lead written as a formula
    custom_kpi_save(key="my_cpl", name="Mon CPL", formula="spend / leads", unit="money", better="down")
    # when the refresh runs (a full one: the new KPI marked everything)
    result = kpi_snapshot_refresh(as_of=AS_OF)
    # then every row of every period kind and breakdown is the built-in one's
    assert result.mode == "full"
    built_in, custom = rows("cost_per_lead"), rows("my_cpl")
    assert len(built_in) > 100 and custom == built_in
    assert set(Snapshot.objects.filter(kpi="my_cpl").values_list("definition_version", flat=True)) == {1}


def test_objectives_and_statuses_of_a_custom_kpi(in_alpha, golden, http_as, world):
    custom_kpi_save(key="my_cpl", name="Mon CPL", formula="spend / leads", unit="money", better="down")
    kpi_snapshot_refresh(as_of=AS_OF)
    manager = http_as(world.manager_alpha)
    body = {"kpi": "my_cpl", "period": "month", "target": "40"}
    assert manager.post("/c/alpha/api/v1/kpis/objectives/", body, content_type="application/json").status_code == 201
    both = Snapshot.objects.filter(period="month", dimension="", kpi__in=["cost_per_lead", "my_cpl"])
    Objective.objects.create(kpi="cost_per_lead", period="month", target=40)
    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    statuses = {(s.kpi, s.start): s.status for s in both}
    assert {s for (k, _d), s in statuses.items() if k == "my_cpl"} - {None}
    assert all(statuses[("my_cpl", d)] == statuses[("cost_per_lead", d)] for (_k, d) in statuses)
    api = manager.get("/c/alpha/api/v1/kpis/", {"kpi": "my_cpl", "period": "month", "from": "2026-01-01"}).json()
    assert {r["kpi"] for r in api["results"]} == {"my_cpl"} and api["results"][0]["target"] == 40


def test_division_by_zero_is_null_and_a_metric_is_a_measure(in_alpha, golden):
    # given social mentions imported for March, and KPIs over them
    code, _out, err = run_import(MENTIONS, "metrics", language="fr")
    assert code == 0, err
    custom_kpi_save(key="mentions_per_visit", name="Mentions par visite", formula="mentions / visits", unit="ratio")
    custom_kpi_save(key="mentions_total", name="Mentions", formula="mentions", unit="count")
    custom_kpi_save(key="spend_per_customer_x", name="x", formula="spend / (customers - customers)", unit="money")
    kpi_snapshot_refresh(as_of=AS_OF)
    march = {s.kpi: s for s in Snapshot.objects.filter(period="month", dimension="", start=date(2026, 3, 1))}
    visits = march["visits"].value
    assert march["mentions_total"].value == 50
    assert march["mentions_per_visit"].value == pytest.approx(50 / visits)
    assert (march["mentions_per_visit"].numerator, march["mentions_per_visit"].denominator) == (50, visits)
    assert march["spend_per_customer_x"].value is None and march["spend_per_customer_x"].denominator == 0
    # a metric has no breakdown: neither has a KPI over it
    assert not Snapshot.objects.filter(kpi="mentions_per_visit").exclude(dimension="").exists()
    # and an incremental refresh after a new value follows it
    run_import_text = MENTIONS.parent / "extra.csv"
    try:
        run_import_text.write_text("date;metric;value\n10/03/2026;mentions;10\n", encoding="utf-8")
        run_import(run_import_text, "metrics", language="fr")
    finally:
        run_import_text.unlink()
    assert kpi_snapshot_refresh(as_of=AS_OF).mode == "incremental"
    assert Snapshot.objects.get(kpi="mentions_total", period="month", dimension="", start=date(2026, 3, 1)).value == 60


def test_a_new_formula_raises_the_version_and_replaces_the_snapshots(in_alpha, golden):
    row = custom_kpi_save(key="stage_cost", name="Coût", formula="spend / leads", unit="money", better="down")
    kpi_snapshot_refresh(as_of=AS_OF)
    custom_kpi_save(row, formula="spend / sqls")
    assert CustomKPI.objects.get().version == 2
    kpi_snapshot_refresh(as_of=AS_OF)
    assert set(Snapshot.objects.filter(kpi="stage_cost").values_list("definition_version", flat=True)) == {2}
    assert rows("stage_cost") == rows("cost_per_sql")
    custom_kpi_delete(CustomKPI.objects.get())
    assert not Snapshot.objects.filter(kpi="stage_cost").exists()


def test_each_client_sees_only_its_own_custom_kpis(world, http_as, db):
    with tenant_context(world.alpha):
        custom_kpi_save(key="alpha_only", name="A", formula="spend / leads", unit="money")
    with tenant_context(world.beta):
        assert not CustomKPI.objects.exists()
    connection.set_schema_to_public()
    beta = http_as(world.viewer_beta)
    assert beta.get("/c/beta/api/v1/kpis/custom/").json() == []
    assert beta.get("/c/beta/api/v1/kpis/custom/alpha_only/").status_code == 404
    assert "alpha_only" not in {k["key"] for k in beta.get("/c/beta/api/v1/kpis/definitions/").json()}
    assert beta.get("/c/alpha/api/v1/kpis/custom/").status_code == 404


# --- the client admin -----------------------------------------------------------------------------


def test_the_admin_form_uses_the_same_rule(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    url = "/c/alpha/admin/kpis/customkpi/add/"
    body = {"key": "cost_per_sql_x", "name": "Coût par SQL", "formula": "spend / sqlz", "unit": "money"}
    body["better"] = "down"
    refused = admin.post(url, body)
    assert refused.status_code == 200
    assert "position 9\xa0: mesure inconnue «\xa0sqlz\xa0»" in refused.content.decode()  # the same words as the API
    assert not CustomKPI.objects.exists()
    accepted = admin.post(url, {**body, "formula": "spend / sqls", "dimensions": ["channel"]})
    assert accepted.status_code == 302, accepted.content.decode()[-3000:]
    row = CustomKPI.objects.get()
    assert (row.formula, row.dimensions, row.version) == ("spend / sqls", ["channel"], 1)
    # the objective form offers it by name
    assert "Coût par SQL" in admin.get("/c/alpha/admin/kpis/objective/add/").content.decode()
    change = f"/c/alpha/admin/kpis/customkpi/{row.pk}/change/"
    assert admin.post(change, {**body, "formula": "spend / mqls", "dimensions": []}).status_code == 302
    row.refresh_from_db()
    assert (row.formula, row.dimensions, row.version) == ("spend / mqls", ["channel", "campaign"], 2)


def test_a_metric_typed_in_advance_counts_once_its_day_comes(in_alpha, golden, tmp_path):
    # given mentions dated after as-of (a daily fact: cut at as-of's local date, docs/kpis.md §1)
    ahead = tmp_path / "ahead.csv"
    ahead.write_text("date,metric,value\n2026-04-14,mentions,5\n2026-04-16,mentions,7\n", encoding="utf-8")
    assert run_import(ahead, "metrics")[0] == 0
    custom_kpi_save(key="mentions_total", name="Mentions", formula="mentions", unit="count")
    kpi_snapshot_refresh(as_of=AS_OF)
    april = {"kpi": "mentions_total", "period": "month", "dimension": "", "start": date(2026, 4, 1)}
    assert Snapshot.objects.get(**april).value == 5
    # when a later refresh runs, with no write in between
    result = kpi_snapshot_refresh(as_of=datetime(2026, 4, 17, tzinfo=PARIS))
    # then the day reached counts, incrementally as in full
    assert result.mode == "incremental" and Snapshot.objects.get(**april).value == 12


def test_the_refresh_holds_only_the_metrics_a_custom_kpi_names(in_alpha, golden, tmp_path, monkeypatch):
    # given three imported metrics, one of them named by a custom KPI
    many = tmp_path / "many.csv"
    many.write_text("date,metric,value\n2026-03-02,mentions,5\n2026-03-02,calls,7\n2026-03-02,reviews,2\n")
    assert run_import(many, "metrics")[0] == 0
    custom_kpi_save(key="mentions_total", name="Mentions", formula="mentions", unit="count")
    loaded = []
    load = snapshots._grid_load
    monkeypatch.setattr(snapshots, "_grid_load", lambda *a, **kw: loaded.append(kw["metrics"]) or load(*a, **kw))
    # when the KPIs are refreshed
    kpi_snapshot_refresh(as_of=AS_OF)
    # then each grid holds an array for that metric alone (a file may bring thousands no formula reads)
    assert loaded and set(loaded) == {("mentions",)}
    march = {"kpi": "mentions_total", "period": "month", "dimension": "", "start": date(2026, 3, 1)}
    assert Snapshot.objects.get(**march).value == 5


def test_the_report_from_the_facts_equals_the_snapshots_of_custom_kpis(in_alpha, golden):
    # given custom KPIs, one over a metric, refreshed as of the golden instant
    assert run_import(MENTIONS, "metrics", language="fr")[0] == 0
    custom_kpi_save(key="margin_per_customer", name="Marge", formula="(revenue - spend) / customers", unit="money")
    custom_kpi_save(key="mentions_per_visit", name="Mentions par visite", formula="mentions / visits", unit="ratio")
    kpi_snapshot_refresh(as_of=AS_OF)
    keys = ["margin_per_customer", "mentions_per_visit"]
    for period, dimension in (("month", None), ("week", None), ("month", "channel")):
        # when kpi_report computes them from the facts
        report = kpi_compute(
            period=period, start=date(2026, 1, 1), end=date(2026, 3, 31), dimension=dimension, as_of=AS_OF, kpis=keys
        )
        # then every row is the snapshot's
        stored = {
            (s.kpi, s.start.isoformat(), s.key or None): s
            for s in Snapshot.objects.filter(
                kpi__in=keys,
                period=period,
                dimension=dimension or "",
                start__range=(date(2026, 1, 1), date(2026, 3, 31)),
            )
        }
        assert report and len(report) == len(stored)
        for row in report:
            snapshot = stored[(row["kpi"], row["start"], row["key"])]
            for field in ("value", "numerator", "denominator"):
                mine, theirs = row[field], getattr(snapshot, field)
                assert (mine is None and theirs is None) or mine == pytest.approx(theirs), (row, field)
    assert {r["kpi"] for r in report} == {"margin_per_customer"}  # a metric has no breakdown


def test_the_formula_compiled_to_sql_over_the_stored_measures_gives_the_snapshots(in_alpha, golden):
    # given custom KPIs refreshed from the golden facts (the grid's NumPy evaluation)
    assert run_import(MENTIONS, "metrics", language="fr")[0] == 0
    formulas = {"margin": "(revenue - spend) / customers", "mix": "-(mqls - 2 * sqls) / visits + 1", "m": "mentions"}
    for key, formula in formulas.items():
        custom_kpi_save(key=key, name=key, formula=formula, unit="ratio")
    kpi_snapshot_refresh(as_of=AS_OF)

    def column(name: str) -> str:
        source = SOURCE_OF_MEASURE.get(name) or metric_source(name)
        return f"COALESCE(sum(m{source_measures(source).index(name)}) FILTER (WHERE source = '{source}'), 0)"

    for key, formula in formulas.items():
        for period, dimension in (("month", ""), ("week", ""), ("month", "channel")):
            # when the same formula is compiled to SQL over the stored measures (kpis.Measure)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT start, key, ({formula_sql(formula_parse(formula), column)})::float8 "
                    "FROM kpis_measure WHERE period = %s AND dimension = %s GROUP BY start, key",
                    [period, dimension],
                )
                in_sql = {(start, k): value for start, k, value in cursor.fetchall()}
            # then every snapshot holds the value SQL computes (division by 0: NULL in both)
            rows = Snapshot.objects.filter(kpi=key, period=period, dimension=dimension, start__lte=date(2026, 3, 31))
            assert rows.exists() or (key == "m" and dimension)
            without_facts = formula_evaluate(formula_parse(formula), lambda _name: np.zeros(1))[0]
            for row in rows:
                where = (key, period, dimension, row.start, row.key)
                if (row.start, row.key) not in in_sql:  # a total row of a period without measures: all 0
                    assert row.value == (None if np.isnan(without_facts) else pytest.approx(without_facts)), where
                elif in_sql[(row.start, row.key)] is None:
                    assert row.value is None, where
                else:
                    assert row.value == pytest.approx(in_sql[(row.start, row.key)]), where


def test_a_metric_may_take_no_name_of_a_measure_the_engine_computes():
    # campaigns.rules cannot import the engine's list: the two are held equal here
    from campaigns.rules import METRIC_RESERVED_NAMES

    assert set(METRIC_RESERVED_NAMES) == set(SOURCE_OF_MEASURE)
