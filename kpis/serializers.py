"""KPI API shapes. Inputs are validated here into plain values; snapshot lists are written as plain
dicts (``kpis.selectors``) and these output serializers only document them in the OpenAPI schema."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from annotations.serializers import AnnotationBriefSerializer
from kpis.custom.definitions import kpi_definitions
from kpis.models import DIMENSION_CHOICES, Direction, Objective, PeriodKind, Status
from kpis.registry import DIMENSIONS, Better, Family, Unit

PERIOD_FIELD = {"choices": PeriodKind.choices, "help_text": _("day, week, month or quarter")}
MAX_LIMIT = 10_000


class SnapshotQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(default=PeriodKind.MONTH, **PERIOD_FIELD)
    kpi = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("Repeat to ask for several KPIs (default: all); built-in or custom keys."),
    )
    date_from = serializers.DateField(required=False, help_text=_("First period start (default: 12 periods ago)."))
    date_to = serializers.DateField(required=False, help_text=_("Last period start (default: the current period)."))
    dimension = serializers.ChoiceField(choices=DIMENSIONS, required=False, help_text=_("Default: totals."))
    key = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text=_("Keys of the dimension; an empty key is the “(none)” row."),
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=2000)
    offset = serializers.IntegerField(min_value=0, default=0)

    def validate_kpi(self, value):
        known = kpi_definitions()
        unknown = [key for key in value if key not in known]
        if unknown:
            raise serializers.ValidationError(_("Unknown KPI “%(kpi)s”.") % {"kpi": ", ".join(unknown)})
        return value

    def validate(self, attrs):
        if attrs.get("key") is not None and "dimension" not in attrs:
            raise serializers.ValidationError({"key": [_("A key needs a dimension.")]})
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_from": [_("The range starts after it ends.")]})
        return attrs


class AnomalyQuerySerializer(SnapshotQuerySerializer):
    pass


class PacingQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("Local date of the month-to-date (default: today)."))


class RefreshInputSerializer(serializers.Serializer):
    full = serializers.BooleanField(default=False, help_text=_("Recompute everything, not only what changed."))


class RefreshOutputSerializer(RefreshInputSerializer):
    awaiting_queue = serializers.BooleanField(
        help_text=_("The queue could not be reached: the next periodic refresh (every 15 minutes) does it.")
    )


class AnomalyOutputSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices)
    median = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class SnapshotOutputSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    period = serializers.ChoiceField(choices=PeriodKind.choices)
    start = serializers.DateField()
    dimension = serializers.CharField(allow_null=True)
    key = serializers.CharField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    previous_value = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices, allow_null=True)
    anomaly = AnomalyOutputSerializer(allow_null=True)
    is_partial = serializers.BooleanField(help_text=_("The period is still in progress at as_of."))
    as_of = serializers.DateTimeField()
    definition_version = serializers.IntegerField()


class SnapshotPageSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(allow_null=True, help_text=_("The last refresh: every number is valid then."))
    next = serializers.CharField(allow_null=True)
    results = SnapshotOutputSerializer(many=True)


class AnomalyRowOutputSerializer(SnapshotOutputSerializer):
    explanation = AnnotationBriefSerializer(
        allow_null=True,
        help_text=_(
            "The likely explanation: the oldest note overlapping the period, of the whole account or of "
            "the row's channel or campaign."
        ),
    )


class AnomalyPageSerializer(SnapshotPageSerializer):
    results = AnomalyRowOutputSerializer(many=True)


class DefinitionOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    family = serializers.ChoiceField(choices=[f.value for f in Family])
    name = serializers.CharField(help_text=_("In the request's language."))
    name_fr = serializers.CharField()
    name_en = serializers.CharField()
    seed = serializers.CharField(help_text=_("The wording of the brief the KPI answers."))
    formula = serializers.CharField(help_text=_("In the request's language."))
    unit = serializers.ChoiceField(choices=[u.value for u in Unit])
    better = serializers.ChoiceField(choices=[b.value for b in Better])
    dimensions = serializers.ListField(child=serializers.CharField())
    dimension_required = serializers.BooleanField()
    version = serializers.IntegerField()


class PacingOutputSerializer(serializers.Serializer):
    objective = serializers.IntegerField()
    kpi = serializers.CharField()
    dimension = serializers.CharField(allow_null=True)
    key = serializers.CharField(allow_null=True)
    weekly_target = serializers.FloatField()
    month = serializers.DateField()
    days = serializers.IntegerField(help_text=_("Days from the first of the month to the date, inclusive."))
    expected = serializers.FloatField(allow_null=True, help_text=_("weekly target × days ÷ 7"))
    actual = serializers.FloatField()
    pacing = serializers.FloatField(allow_null=True, help_text=_("actual ÷ expected"))
    status = serializers.ChoiceField(choices=Status.choices, allow_null=True)
    month_days = serializers.IntegerField(help_text=_("Days in the month."))
    month_target = serializers.FloatField(help_text=_("weekly target × days in the month ÷ 7"))
    projected = serializers.FloatField(
        help_text=_("actual × days in the month ÷ days elapsed: the month-to-date run rate carried to the month's end")
    )
    needed_per_day = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "max(0, month target − actual) ÷ days left after the date: what each remaining day needs to reach "
            "the month target (null on the month's last day, and for a KPI better down: its target is a ceiling)"
        ),
    )
    projected_status = serializers.ChoiceField(
        choices=Status.choices,
        allow_null=True,
        help_text=_("From projected ÷ month target like a status (null when the target is 0)."),
    )


class ObjectiveSerializer(serializers.ModelSerializer):
    kpi = serializers.CharField(max_length=40, help_text=_("A built-in KPI's key or a custom one's."))
    dimension = serializers.ChoiceField(choices=DIMENSION_CHOICES, required=False, allow_blank=True, default="")
    key = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    target = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=0, coerce_to_string=False)

    class Meta:
        model = Objective
        fields = ["id", "kpi", "period", "dimension", "key", "target", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # uniqueness is the service's (a domain error naming the field)


class KPISettingsSerializer(serializers.Serializer):
    amber_ratio = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=0,
        max_value=1,
        coerce_to_string=False,
        help_text=_("A value within this fraction of its target is amber rather than red."),
    )
