import json
from pathlib import Path

from kpis.registry import DIMENSIONS, KPIS, REGISTRY, Better, Unit

EXPECTED = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "kpi-example" / "expected"


def test_every_kpi_of_the_golden_reports_is_defined_once():
    reported = {row["kpi"] for path in EXPECTED.glob("*.json") for row in json.loads(path.read_text())}
    assert len(KPIS) == len(REGISTRY)
    assert reported <= set(KPIS)
    assert set(KPIS) - reported == set()  # keyword_visits appears in month-keyword.json


def test_breakdowns_in_the_golden_reports_are_allowed_dimensions():
    for path in EXPECTED.glob("month-*.json"):
        for row in json.loads(path.read_text()):
            assert row["dimension"] in KPIS[row["kpi"]].dimensions, (path.name, row["kpi"], row["dimension"])


def test_definitions_are_complete():
    for kpi in REGISTRY:
        assert kpi.name_fr and kpi.name_en and kpi.seed and str(kpi.formula)
        assert set(kpi.dimensions) <= set(DIMENSIONS)
        assert kpi.unit in Unit and kpi.better in Better
        if kpi.unit is Unit.RATE and kpi.better is not Better.NONE:
            assert kpi.key.endswith("_rate")
