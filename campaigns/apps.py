from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config.events import worker_probed


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Marketing data")

    def ready(self) -> None:
        # Imported here: apps.py is loaded before the models are.
        from campaigns.receivers import channels_count

        worker_probed.connect(channels_count, dispatch_uid="campaigns.channels_count")
