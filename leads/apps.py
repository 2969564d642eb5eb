from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config.events import email_engaged


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        # Imported here: apps.py is loaded before the models are.
        from campaigns.imports.runner import import_kind_register
        from leads.imports import LEADS_KIND
        from leads.receivers import email_activity

        # The imports (campaigns) run the CRM's "leads" kind without importing the CRM: it registers here.
        import_kind_register("leads", LEADS_KIND)
        email_engaged.connect(email_activity, dispatch_uid="leads.email_activity")
