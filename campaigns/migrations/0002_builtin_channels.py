from django.db import migrations

from campaigns.channels import BUILTIN_CHANNELS


def create_builtin_channels(apps, schema_editor):
    Channel = apps.get_model("campaigns", "Channel")
    for key, (name, paid) in BUILTIN_CHANNELS.items():
        Channel.objects.update_or_create(
            key=key, defaults={"name": str(name), "is_paid": paid, "is_builtin": True}
        )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(create_builtin_channels, migrations.RunPython.noop)]
