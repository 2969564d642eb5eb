import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    """The portfolio's headline KPIs an agency chooses (empty: Pouls' default). Reversible: removing
    the column forgets the choices, and every portfolio shows the default again."""

    dependencies = [
        ("tenants", "0008_agency_suspended_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="agency",
            name="headline_kpis",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=40),
                blank=True,
                default=list,
                editable=False,
                size=None,
                verbose_name="portfolio headline KPIs",
            ),
        ),
    ]
