from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config.events import snapshots_refreshed


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Agency portfolio")

    def ready(self) -> None:
        snapshots_refreshed.connect(_publish, dispatch_uid="portfolio.headline_publish")


def _publish(sender, *, as_of, full_refresh: bool, **kwargs) -> None:
    """Each refresh of a client's snapshots publishes its headline to the agency's portfolio."""
    from portfolio.services import headline_publish  # here: apps.py is imported before the models are ready

    headline_publish(as_of=as_of, full_refresh=full_refresh)
