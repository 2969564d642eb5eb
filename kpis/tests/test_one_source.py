"""Period kinds, statuses and anomaly directions have one source, the models' choices: the pure rule
modules (no models imported) and the API schemas must name the same words."""

from django.utils import translation

from dashboards.state import PERIOD_KINDS
from kpis import anomalies, periods, status
from kpis.models import Direction, PeriodKind, Status
from kpis.refresh import snapshots, statuses
from kpis.serializers import AnomalyOutputSerializer


def test_pure_modules_name_the_models_words():
    assert list(periods.PERIODS) == PeriodKind.values
    assert Status.values == [status.GREEN, status.AMBER, status.RED]
    assert statuses.STATUSES == ["green", "amber", "red"]  # the stored codes 1, 2, 3 keep their order
    assert snapshots.DIRECTIONS == ["up", "down"]


def test_anomaly_words_are_the_directions():
    # Given a value far above, then far below, a steady baseline; the anomaly check names a Direction
    base = [90, 110, 95, 105, 100, 98, 102, 100]
    up = anomalies.anomaly_check(value=1000, history=base)
    down = anomalies.anomaly_check(value=1, history=base)
    assert (up.direction, down.direction) == (Direction.UP, Direction.DOWN)
    assert dict(AnomalyOutputSerializer().fields["direction"].choices) == dict(Direction.choices)


def test_dashboard_period_kinds_are_model_choices_with_their_labels():
    with translation.override("fr"):
        assert [str(kind.label) for kind in PERIOD_KINDS] == ["Semaine", "Mois", "Trimestre"]
    assert set(PERIOD_KINDS) < set(PeriodKind.values)
