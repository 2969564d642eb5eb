from django.db import migrations


def create_public_tenant(apps, schema_editor):
    # django-tenants routes every non-/c/ path to the tenant whose schema is "public".
    Client = apps.get_model("tenants", "Client")
    Client.objects.get_or_create(schema_name="public", defaults={"name": "Pouls (public)", "slug": "public"})


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_public_tenant, migrations.RunPython.noop)]
