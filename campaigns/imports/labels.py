"""The names people read for each kind of import file: one home for the admin's screens and the
job's own name (``ImportJob.__str__``, in titles and breadcrumbs). A leaf module, so that the
models may use it without importing the import machinery."""

from django.utils.translation import gettext_lazy as _

# A kind missing here shows its key.
KIND_LABELS = {
    "campaigns": _("Campaigns"),
    "offers": _("Offers"),
    "landing_pages": _("Landing pages"),
    "spend": _("Spend"),
    "traffic": _("Traffic"),
    "cta": _("CTA views and clicks"),
    "emails": _("Emails"),
    "keywords": _("Keywords"),
    "leads": _("Leads"),
    "metrics": _("Custom metrics"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))
