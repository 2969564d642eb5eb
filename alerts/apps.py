from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config.events import snapshots_refreshed


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        snapshots_refreshed.connect(_evaluate_after_refresh, dispatch_uid="alerts.evaluate_after_refresh")


def _evaluate_after_refresh(sender, **kwargs) -> None:
    """Each refresh of a client's snapshots is followed, once it commits, by the evaluation of its
    alert rules (in a task: a slow webhook never holds the refresh)."""
    from alerts.tasks import alerts_evaluate_task  # here: apps.py is imported before the models are ready
    from config.enqueue import task_send_on_commit

    task_send_on_commit(alerts_evaluate_task)
