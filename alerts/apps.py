from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config.events import platform_connected, snapshots_refreshed


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        snapshots_refreshed.connect(_evaluate_after_refresh, dispatch_uid="alerts.evaluate_after_refresh")
        platform_connected.connect(_watch_platform_sources, dispatch_uid="alerts.watch_platform_sources")


def _evaluate_after_refresh(sender, **kwargs) -> None:
    """Each refresh of a client's snapshots is followed, once it commits, by the evaluation of its
    alert rules (in a task: a slow webhook never holds the refresh)."""
    from alerts.tasks import alerts_evaluate_task  # here: apps.py is imported before the models are ready
    from config.enqueue import task_send_on_commit

    task_send_on_commit(alerts_evaluate_task)


def _watch_platform_sources(sender, *, actor, agency, **kwargs) -> None:
    """An agency's first platform connection gets it the default rule on broken or silent sources."""
    from alerts.services import agency_connector_rule_ensure  # here: apps.py is imported before the models

    agency_connector_rule_ensure(agency=agency, actor=actor)
