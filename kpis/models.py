"""KPI tables of one client account (tenant schema).

- ``Measure``: the base aggregates every KPI is derived from (``kpis.measures``), one row per
  (period kind, period start, data source, dimension, key). Day rows come from the facts; week,
  month and quarter rows are sums of day rows. Refreshes keep them in step with the facts.
- ``Snapshot``: one KPI value per (KPI, period kind, period start, dimension, key), with its
  trend, target, status and anomaly flag. The API, admin and dashboards read only these.
- ``Objective``: a target for one KPI (optionally one dimension key) per period kind.
- ``DirtyDay``: the days whose facts changed since the last refresh, written by triggers on every
  fact table (``kpis/migrations/0002_dirty_triggers.py``), so no write path can forget to mark them.
- ``RefreshRun``: what each refresh did (its as-of instant is the next run's starting point).

Totals and the "(none)" key are stored as ``''`` in ``dimension`` and ``key`` (plain equality joins
and unique keys); the API shows them as ``null``.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.registry import DIMENSION_LABELS, REGISTRY, Better, Unit, kpi_label
from kpis.targets import kpi_value_shown


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


# The built-in KPIs (forms and filters add the client's custom ones: kpis.custom.definitions).
KPI_CHOICES = [(kpi.key, kpi_label(kpi.key)) for kpi in REGISTRY]
DIMENSION_CHOICES = [("", _("Total")), *DIMENSION_LABELS.items()]
MEASURE_WIDTH = 5


# Keys are compared byte-wise ("C"): hundreds of thousands of them are joined, sorted and probed in
# every refresh, and byte order is also the stable order the API pages by.
class Measure(models.Model):
    """Base aggregates of one data source (``kpis.measures.SOURCES`` names its columns)."""

    # The key is the primary key: one index to maintain (refreshes write hundreds of thousands of
    # rows), whose column order serves the roll-ups and the snapshot windows (one series, a range
    # of starts). Only kpis.refresh writes this table, in SQL.
    pk = models.CompositePrimaryKey("period", "dimension", "key", "start", "source")
    period = models.CharField(max_length=8, choices=PeriodKind.choices, db_collation="C")
    start = models.DateField()
    # A source of kpis.measures.SOURCES or an imported metric's, ``metric:<name>``.
    source = models.CharField(max_length=64, db_collation="C")
    dimension = models.CharField(max_length=16, blank=True, db_collation="C")
    key = models.CharField(max_length=300, blank=True, db_collation="C")
    m0 = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    m1 = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    m2 = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    m3 = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    m4 = models.DecimalField(max_digits=20, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("KPI measure")
        verbose_name_plural = _("KPI measures")
        # An incremental refresh reads one source's rows of some days, all dimensions and keys.
        indexes = [models.Index(fields=["period", "source", "start"], name="measure_source_days")]

    def __str__(self) -> str:
        return f"{self.period} {self.start} {self.source} {self.dimension}:{self.key}"


class Status(models.TextChoices):
    GREEN = "green", _("On target")
    AMBER = "amber", _("Close to target")
    RED = "red", _("Off target")


class Direction(models.TextChoices):
    UP = "up", _("Above the usual range")
    DOWN = "down", _("Below the usual range")


class Snapshot(models.Model):
    # A built-in KPI (kpis.registry) or a custom one's key (CustomKPI): no fixed choices.
    kpi = models.CharField(_("KPI"), max_length=40, db_collation="C")
    period = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices, db_collation="C")
    start = models.DateField(_("period start"))
    dimension = models.CharField(_("dimension"), max_length=16, blank=True, choices=DIMENSION_CHOICES, db_collation="C")
    key = models.CharField(_("key"), max_length=300, blank=True, db_collation="C")
    value = models.FloatField(_("value"), null=True)
    numerator = models.FloatField(_("numerator"), null=True)
    denominator = models.FloatField(_("denominator"), null=True)
    previous_value = models.FloatField(_("previous period's value"), null=True)
    change = models.FloatField(_("change"), null=True, help_text=_("Value − previous value, in the KPI's unit."))
    target = models.FloatField(_("target"), null=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, null=True)
    anomaly = models.CharField(_("anomaly"), max_length=4, choices=Direction.choices, null=True)
    baseline_median = models.FloatField(_("baseline median"), null=True)
    baseline_low = models.FloatField(_("baseline low"), null=True)
    baseline_high = models.FloatField(_("baseline high"), null=True)
    is_partial = models.BooleanField(_("period in progress"), default=False)
    as_of = models.DateTimeField(_("as of"), help_text=_("When these numbers were measured."))
    definition_version = models.PositiveSmallIntegerField(_("definition version"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("KPI snapshot")
        verbose_name_plural = _("KPI snapshots")
        ordering = ["kpi", "period", "dimension", "key", "start"]
        constraints = [
            models.UniqueConstraint(fields=["period", "kpi", "dimension", "key", "start"], name="snapshot_unique"),
        ]
        indexes = [
            models.Index(fields=["period", "start"], name="snapshot_anomalies", condition=Q(anomaly__isnull=False)),
            models.Index(
                fields=["period"],
                name="snapshot_with_target",
                condition=Q(target__isnull=False) | Q(status__isnull=False),
            ),
            # The periods in progress (a refresh finds there what ended since the last run).
            models.Index(fields=["period", "start"], name="snapshot_in_progress", condition=Q(is_partial=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period} {self.start} {self.dimension}:{self.key}"


class Objective(models.Model):
    """A target for one KPI per period kind: the total (no dimension) or one key of a dimension."""

    kpi = models.CharField(_("KPI"), max_length=40, db_collation="C")  # built-in or custom, as Snapshot.kpi
    period = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices, db_collation="C")
    dimension = models.CharField(_("dimension"), max_length=16, blank=True, choices=DIMENSION_CHOICES, db_collation="C")
    key = models.CharField(_("key"), max_length=300, blank=True, db_collation="C")
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=6, validators=[MinValueValidator(0)])
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["kpi", "period", "dimension", "key"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period", "dimension", "key"], name="objective_unique"),
            models.CheckConstraint(name="objective_target_not_negative", condition=Q(target__gte=0)),
            models.CheckConstraint(
                name="objective_key_with_dimension", condition=Q(dimension="", key="") | ~Q(dimension="")
            ),
        ]

    def __str__(self) -> str:
        # Read in the admin (titles, deletions): names and the target as people read them, not keys.
        scope = f" · {self.get_dimension_display()} {self.key or _('(none)')}" if self.dimension else ""
        target = kpi_value_shown(self.kpi, self.target)
        from kpis.custom.definitions import kpi_name

        return f"{kpi_name(self.kpi)}{scope} · {target} / {self.get_period_display()}"


class KPISettings(models.Model):
    """Per-client KPI settings (one row)."""

    amber_ratio = models.DecimalField(
        _("amber threshold"),
        max_digits=4,
        decimal_places=3,
        default=0.9,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A value within this fraction of its target is amber rather than red (0.9: within 10 %)."),
    )

    class Meta:
        verbose_name = _("KPI settings")
        verbose_name_plural = _("KPI settings")
        constraints = [
            models.CheckConstraint(
                name="kpisettings_amber_ratio_range", condition=Q(amber_ratio__gte=0, amber_ratio__lte=1)
            )
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class DirtyDay(models.Model):
    """A local day of one data source whose facts changed (``source``/``day`` NULL: everything).
    Append-only while facts are written; a refresh consumes the rows it sees."""

    source = models.CharField(max_length=64, null=True)  # as Measure.source
    day = models.DateField(null=True)

    def __str__(self) -> str:
        return f"{self.source or '*'} {self.day or '*'}"


class RefreshRun(models.Model):
    class Mode(models.TextChoices):
        INCREMENTAL = "incremental", _("Incremental")
        FULL = "full", _("Full")

    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    as_of = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    dirty_days = models.PositiveIntegerField(_("dirty days"))
    measures_changed = models.PositiveIntegerField(_("measures changed"))
    snapshots_changed = models.PositiveIntegerField(_("snapshots changed"))
    anomalies_flagged = models.PositiveIntegerField(_("anomalies flagged"), help_text=_("Among the rows it decided."))

    class Meta:
        verbose_name = _("KPI refresh")
        verbose_name_plural = _("KPI refreshes")
        ordering = ["-as_of"]
        indexes = [models.Index(fields=["-as_of"], name="refreshrun_as_of")]

    def __str__(self) -> str:
        return f"{self.mode} {self.as_of:%Y-%m-%d %H:%M}"


FORMULA_MAX_LENGTH = 500
UNIT_CHOICES = [
    (Unit.COUNT.value, _("Count")),
    (Unit.MONEY.value, _("Money")),
    (Unit.RATE.value, _("Rate (a fraction, shown as a percentage)")),
    (Unit.RATIO.value, _("Ratio")),
]
BETTER_CHOICES = [
    (Better.UP.value, _("Higher is better")),
    (Better.DOWN.value, _("Lower is better")),
    (Better.NONE.value, _("Neither (no status)")),
]


class CustomKPI(models.Model):
    """A KPI a manager defines as a formula over the engine's measures and the imported metrics
    (docs/kpis.md, "Custom KPIs and metrics"). ``kpis.custom`` checks, parses and evaluates it; its
    snapshots, objectives, cards and API rows are those of any KPI, under its key. ``version`` counts
    the formulas it has had: snapshots carry it, and those of an older one are replaced."""

    key = models.CharField(_("key"), max_length=40, unique=True, db_collation="C")
    name = models.CharField(_("name"), max_length=200)
    formula = models.CharField(_("formula"), max_length=FORMULA_MAX_LENGTH)
    unit = models.CharField(_("unit"), max_length=8, choices=UNIT_CHOICES, default=Unit.RATIO.value)
    better = models.CharField(_("better"), max_length=8, choices=BETTER_CHOICES, default=Better.UP.value)
    dimensions = ArrayField(
        models.CharField(max_length=16),
        verbose_name=_("dimensions"),
        default=list,
        blank=True,
        help_text=_("The breakdowns it is computed for, among those all its measures allow."),
    )
    version = models.PositiveSmallIntegerField(_("definition version"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("custom KPI")
        verbose_name_plural = _("custom KPIs")
        ordering = ["key"]
        constraints = [models.CheckConstraint(name="customkpi_version_positive", condition=Q(version__gte=1))]

    def __str__(self) -> str:
        return self.name
