# The capture rate windows now belong to campaigns (campaigns.RateWindow, 0009): leads forgets the model in
# Django's state only; the table and its rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0004_lead_created_cohort_index"),
        ("campaigns", "0009_rate_window_from_leads"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CaptureRateWindow")],
            database_operations=[],
        ),
    ]
