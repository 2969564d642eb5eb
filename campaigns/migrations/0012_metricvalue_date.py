"""An index on metric days: the refresh reads a few days of every metric at once (the days that became
present, a window). Built concurrently, so a client's imports and captures go on while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("campaigns", "0011_metric_value")]

    operations = [
        AddIndexConcurrently(model_name="metricvalue", index=models.Index(fields=["date"], name="metricvalue_date")),
    ]
