from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config import events


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Imported here: apps.py is loaded before the models are.
        from audit import receivers

        # tenants may not import audit (it is the layer below): it announces, the log records.
        for signal, receiver in (
            (events.api_token_created, receivers.token_created),
            (events.api_token_revoked, receivers.token_revoked),
            (events.client_created, receivers.client_created),
            (events.client_updated, receivers.client_updated),
            (events.client_archived, receivers.client_archived),
            (events.client_restored, receivers.client_restored),
            (events.agency_suspended, receivers.agency_suspended),
            (events.agency_reinstated, receivers.agency_reinstated),
        ):
            signal.connect(receiver, dispatch_uid=f"audit.{receiver.__name__}")
