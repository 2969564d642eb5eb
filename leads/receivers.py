"""What the CRM does when a lower layer announces something (``config.events``); connected in LeadsConfig.ready."""

from django.db import transaction

from config.errors import DomainError
from leads.models import Lead, LeadActivity
from leads.services import lead_record_activity


def email_activity(sender, *, recipient: str, flag: str, ref: str, at, **kwargs) -> None:
    """A tracked email opened or clicked (campaigns.email_tracking) is an activity of the recipient's lead."""
    lead = Lead.objects.filter(email=recipient).first()
    if lead is None:
        return
    kind = LeadActivity.Kind.EMAIL_OPEN if flag == "opened" else LeadActivity.Kind.EMAIL_CLICK
    try:
        with transaction.atomic():
            lead_record_activity(lead=lead, kind=kind, ref=ref, at=at)
    except DomainError:
        pass  # the lead was erased or merged away meanwhile: the send's counters still count
