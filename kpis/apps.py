from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config.events import facts_changed


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        facts_changed.connect(_refresh_after_writes, dispatch_uid="kpis.refresh_after_writes")


def _refresh_after_writes(sender, **kwargs) -> None:
    """Imports and bulk lead moves (lower layers) announce their writes; the refresh follows them."""
    from kpis.services import kpi_refresh_request  # here: apps.py is loaded before the models are

    kpi_refresh_request()
