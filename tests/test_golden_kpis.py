"""The golden KPI example (tests/fixtures/kpi-example): importing its CSVs into an empty client
account then running ``kpi_report --format json`` gives exactly the expected reports."""

import json
import math
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "kpi-example"
ORDER = ["campaigns", "offers", "landing_pages", "spend", "traffic", "cta", "keywords", "emails", "leads"]
COMMON = ["--from", "2026-01-01", "--to", "2026-03-31", "--as-of", "2026-04-15T00:00:00+02:00"]
# As of a moment inside the data: February's daily facts after the 14th are left out (docs/kpis.md §1).
INSIDE = ["--from", "2026-01-01", "--to", "2026-03-31", "--as-of", "2026-02-14T12:00:00+01:00"]
EXPECTED = sorted(path.name for path in (GOLDEN / "expected").glob("*.json"))
NUMBERS = ("value", "numerator", "denominator")


def arguments(name: str) -> list[str]:
    stem = name.removesuffix(".json")
    if stem.startswith("asof-inside-"):
        period, _, dimension = stem.removeprefix("asof-inside-").partition("-")
        return ["--period", period, *INSIDE, *(["--dimension", dimension] if dimension else [])]
    if stem == "week":
        return ["--period", "week", *COMMON]
    if stem.startswith("month-"):
        return ["--period", "month", *COMMON, "--dimension", stem.removeprefix("month-")]
    return ["--period", "month", *COMMON]


def import_golden() -> None:
    for kind in ORDER:
        out, err = StringIO(), StringIO()
        call_command(
            "import_csv", str(GOLDEN / f"{kind}.csv"), "--tenant", "alpha", "--kind", kind, stdout=out, stderr=err
        )
        connection.set_schema_to_public()


def kpi_report(*args: str) -> list[dict]:
    out = StringIO()
    call_command("kpi_report", "--tenant", "alpha", *args, "--format", "json", stdout=out)
    connection.set_schema_to_public()
    return json.loads(out.getvalue())


def same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def differences(actual: list[dict], expected: list[dict]) -> list[str]:
    def keyed(rows):
        return {(r["kpi"], r["period"], r["start"], r["dimension"], r["key"]): r for r in rows}

    mine, theirs = keyed(actual), keyed(expected)
    assert len(mine) == len(actual), "duplicate rows in the report"
    problems = []
    for row_key in sorted(mine.keys() | theirs.keys(), key=repr):
        a, e = mine.get(row_key), theirs.get(row_key)
        if a is None or e is None:
            present = a or e
            if present["value"] not in (0, None):
                problems.append(f"{row_key}: only {'expected' if a is None else 'actual'}: {present}")
            continue
        for field in NUMBERS:
            if not same_number(a[field], e[field]):
                problems.append(f"{row_key} {field}: actual {a[field]!r} expected {e[field]!r}")
        for field in ("target", "status"):
            if a[field] != e[field]:
                problems.append(f"{row_key} {field}: actual {a[field]!r} expected {e[field]!r}")
    return problems


@pytest.mark.parametrize("name", EXPECTED)
def test_kpi_report_matches_the_golden_example(db, world, name):
    import_golden()
    expected = json.loads((GOLDEN / "expected" / name).read_text(encoding="utf-8"))
    problems = differences(kpi_report(*arguments(name)), expected)
    assert not problems, "\n".join(problems[:50])


def test_eleven_expected_files():
    assert len(EXPECTED) == 11
