"""CSV imports (docs/imports.md): golden files import cleanly, twice changes nothing, bad files are
refused whole with every bad line listed, --partial writes exactly the good rows."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.utils import translation
from django_tenants.utils import tenant_context

from campaigns.models import CTA, Campaign, CTAStat, EmailSend, KeywordStat, LandingPage, Offer, Spend, Traffic
from leads.models import Lead, StageTransition

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "kpi-example"
ORDER = ["campaigns", "offers", "landing_pages", "spend", "traffic", "cta", "keywords", "emails", "leads"]
TABLES = [Campaign, Offer, LandingPage, CTA, Spend, Traffic, CTAStat, KeywordStat, EmailSend, Lead, StageTransition]


def run_import(path, kind: str, *extra: str, tenant: str = "alpha", language: str = "en") -> tuple[int, str, str]:
    """The command as run with ``DJANGO_LANGUAGE_CODE=language`` (it speaks the active language)."""
    out, err = StringIO(), StringIO()
    try:
        with translation.override(language):
            call_command("import_csv", str(path), "--tenant", tenant, "--kind", kind, *extra, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def snapshot() -> dict:
    return {model.__name__: sorted(map(repr, model.objects.values_list())) for model in TABLES}


def data_rows(kind: str) -> int:
    lines = (GOLDEN / f"{kind}.csv").read_text(encoding="utf-8-sig").splitlines()
    return len([line for line in lines[1:] if line.strip()])


def test_every_golden_file_imports_with_the_expected_row_counts(in_alpha):
    for kind in ORDER:
        code, out, err = run_import(GOLDEN / f"{kind}.csv", kind)
        assert code == 0, err
        assert out.startswith(f"{kind}: {data_rows(kind)} rows")
    assert Spend.objects.count() == data_rows("spend")
    assert Traffic.objects.count() == data_rows("traffic")
    assert CTAStat.objects.count() == data_rows("cta")
    assert KeywordStat.objects.count() == data_rows("keywords")
    assert EmailSend.objects.count() == data_rows("emails")
    # three emails appear twice in different cases: they merge
    assert Lead.objects.count() == data_rows("leads") - 3
    assert Spend.objects.get(date="2026-01-01", campaign__key="linkedin-ads").amount == Decimal("248.16")
    assert KeywordStat.objects.filter(keyword="taux de conversion").exists()


def test_importing_everything_twice_leaves_identical_tables(in_alpha):
    for kind in ORDER:
        run_import(GOLDEN / f"{kind}.csv", kind)
    before = snapshot()
    for kind in ORDER:
        code, out, _ = run_import(GOLDEN / f"{kind}.csv", kind)
        assert code == 0 and "0 created, 0 updated" in out
    assert snapshot() == before


def test_a_file_with_bad_rows_is_refused_whole_listing_every_bad_line(in_alpha, tmp_path):
    path = tmp_path / "emails.csv"
    path.write_text(
        "key;sent_at;sent;delivered;unique_opens;unique_clicks;unsubscribes\n"
        "ok-1;2026-01-04T09:00:00;100;90;40;10;1\n"
        "bad-1;2026-01-05;100;120;10;1;0\n"
        "bad-2;yesterday;100;90;10;1;0\n"
        "ok-2;2026-01-06T09:00:00+01:00;100;90;40;10;1\n"
        "bad-3;2026-01-07T09:00:00;100;90;95;1;-2\n",
        encoding="utf-8",
    )
    with translation.override("en"):
        code, _, err = run_import(path, "emails")
    assert code == 1
    assert "line 3, column delivered: 120 delivered is more than 100 sent." in err
    # alpha is a French agency's client: its files may hold day-first dates, and the reason says so
    assert "line 4, column sent_at: 'yesterday' is not a date and time (DD/MM/YYYY HH:MM or ISO 8601)" in err
    assert "line 6, column unique_opens" in err or "line 6, column unsubscribes" in err
    assert "line 2" not in err and "line 5" not in err
    assert not EmailSend.objects.exists()


def test_partial_writes_exactly_the_good_rows_and_returns_the_rejected_ones(in_alpha, tmp_path):
    path, rejected = tmp_path / "spend.csv", tmp_path / "rejected.csv"
    path.write_text(
        "date,campaign,amount\n2026-01-01,search,10.5\n2026-13-01,search,3\n2026-01-02,search,-4\n"
        '2026-01-03,social,"7,25"\n',
        encoding="utf-8",
    )
    code, out, err = run_import(path, "spend", "--partial", "--rejected", str(rejected))
    assert code == 0 and "2 rows rejected" in out
    assert sorted(Spend.objects.values_list("campaign__key", "amount")) == [
        ("search", Decimal("10.50")),
        ("social", Decimal("7.25")),
    ]
    lines = rejected.read_text().splitlines()
    assert lines[0] == "date,campaign,amount,error"
    assert len(lines) == 3 and "line 3, column date" in lines[1] and "line 4, column amount" in lines[2]


def test_a_missing_required_column_and_unknown_columns(in_alpha, tmp_path):
    path = tmp_path / "offers.csv"
    path.write_text("key,colour\nebook,red\n", encoding="utf-8")
    code, _, err = run_import(path, "offers")
    assert code == 1 and "line 1, column name: required column missing" in err
    path.write_text("\ufeffkey,name,colour\nebook,Ebook,red\n", encoding="utf-8")
    code, _, err = run_import(path, "offers")
    assert code == 0 and "column colour is not used" in err


def test_lead_rows_follow_the_completion_and_merge_rules(world, in_alpha, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "email,created_at,stage,mql_at,sql_at,utm_source,utm_medium,owner\n"
        "Ann@X.io ,2026-02-01T10:00,sql,,2026-02-03T10:00,google,cpc,sales@alpha.test\n"
        "ann@x.io,2026-01-15T08:00:00+01:00,lead,,,,,\n"
        "bo@x.io,2026-02-01T10:00,customer,,,,,\n",
        encoding="utf-8",
    )
    code, out, err = run_import(path, "leads")
    assert code == 0, err
    ann, bo = Lead.objects.get(email="ann@x.io"), Lead.objects.get(email="bo@x.io")
    assert ann.created_at.isoformat() == "2026-01-15T07:00:00+00:00"
    assert ann.mql_at == ann.sql_at and ann.sql_at.isoformat() == "2026-02-03T09:00:00+00:00"
    assert (ann.stage, ann.channel.key, ann.owner_id) == ("sql", "direct", world.sales_alpha.pk)
    assert bo.mql_at == bo.sql_at == bo.customer_at == bo.created_at


def test_lead_rows_with_bad_values_are_refused(in_alpha, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "email,created_at,stage,mql_at,channel,owner\n"
        "not-an-email,2026-02-01T10:00,lead,,,\n"
        "a@x.io,2026-02-01T10:00,won,,,\n"
        "b@x.io,2026-02-01T10:00,mql,2026-01-01T10:00,,\n"
        "c@x.io,2026-02-01T10:00,lead,,tv,\n"
        "d@x.io,2026-02-01T10:00,lead,,,viewer@alpha.test\n",
        encoding="utf-8",
    )
    code, _, err = run_import(path, "leads")
    assert code == 1
    for expected in (
        "line 2, column email",
        "line 3, column stage",
        "line 4, column mql_at",
        "line 5, column channel",
        "line 6, column owner",
    ):
        assert expected in err
    assert not Lead.objects.exists()


def test_an_import_lands_in_its_client_only(world, in_alpha):
    run_import(GOLDEN / "offers.csv", "offers", tenant="beta")
    assert not Offer.objects.exists()
    with tenant_context(world.beta):
        assert Offer.objects.count() == data_rows("offers")


def test_an_xlsx_workbook_imports_like_its_csv(in_alpha, tmp_path):
    from datetime import datetime as dt

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Campaign", "Amount"])
    sheet.append([dt(2026, 1, 1), "search", 10.5])
    sheet.append([dt(2026, 1, 2), "search", 12])
    path = tmp_path / "spend.xlsx"
    workbook.save(path)
    code, out, err = run_import(path, "spend")
    assert code == 0, err
    assert sorted(Spend.objects.values_list("date", "amount")) == [
        (dt(2026, 1, 1).date(), Decimal("10.50")),
        (dt(2026, 1, 2).date(), Decimal("12.00")),
    ]
