"""Writes of the dashboards: pinned cards (the client's default, one person's own) and the agency's
branding of a client's dashboard."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import DomainError
from dashboards.cards import cardable_kpis
from dashboards.models import Branding, PinnedCards, brand_color_validator
from tenants.models import Client

DEFAULT_PINNED = ("leads", "cost_per_lead", "lead_to_customer_rate", "mqls")
MAX_PINNED = 12
MAX_LOGO_BYTES = 200 * 1024
# Raster formats only: an SVG logo could carry script.
LOGO_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def pinned_for(user) -> tuple[list[str], str]:
    """The cards pinned for ``user`` and where the choice comes from (``user``, ``client`` or
    ``default``), in ONE query."""
    mine_or_default = Q(user_id=user.pk) | Q(user_id__isnull=True)
    rows = dict(PinnedCards.objects.filter(mine_or_default).values_list("user_id", "kpis"))
    if rows.get(user.pk) is not None:
        return list(rows[user.pk]), "user"
    if rows.get(None) is not None:
        return list(rows[None]), "client"
    return list(DEFAULT_PINNED), "default"


def pinned_validate(kpis: list[str]) -> list[str]:
    available = set(cardable_kpis(None))
    unknown = [k for k in kpis if k not in available]
    if unknown:
        raise DomainError(_("Unknown KPI: %(kpis)s.") % {"kpis": ", ".join(unknown)}, field="kpis")
    if len(set(kpis)) != len(kpis):
        raise DomainError(_("A KPI is pinned twice."), field="kpis")
    if len(kpis) > MAX_PINNED:
        raise DomainError(_("Pin at most %(count)d cards.") % {"count": MAX_PINNED}, field="kpis")
    return kpis


def pinned_save(*, kpis: list[str], user=None) -> PinnedCards:
    """Save the client's default (``user`` None) or one person's own pinned cards."""
    kpis = pinned_validate(list(kpis))
    defaults = {"kpis": kpis, "updated_at": timezone.now()}

    def save() -> PinnedCards:
        with transaction.atomic():
            return PinnedCards.objects.update_or_create(user_id=user.pk if user else None, defaults=defaults)[0]

    try:
        return save()
    except IntegrityError:  # two first saves at once: the other created the row, so this one updates it
        return save()


def pinned_reset(*, user) -> None:
    """Forget one person's own choice: they see the client's default again."""
    PinnedCards.objects.filter(user_id=user.pk).delete()


def logo_type(content: bytes) -> str:
    for signature, content_type in LOGO_SIGNATURES:
        if content.startswith(signature):
            return content_type
    raise DomainError(_("The logo must be a PNG or JPEG image."), field="logo")


def branding_save(*, client: Client, color: str, logo: bytes | None = None, remove_logo: bool = False) -> Branding:
    """Set the colour (empty: Pouls' own) and, optionally, replace or remove the logo."""
    color = (color or "").strip()
    if color:
        try:
            brand_color_validator(color)
        except Exception as error:  # ValidationError: one clear message for the form
            raise DomainError(_("Enter a colour as #rrggbb."), field="color") from error
    content_type = None
    if logo is not None:
        if len(logo) > MAX_LOGO_BYTES:
            raise DomainError(_("The logo must be at most 200 KB."), field="logo")
        content_type = logo_type(logo)
    branding, _created = Branding.objects.get_or_create(client=client)
    branding.color = color.lower()
    if content_type:
        branding.logo, branding.logo_type = logo, content_type
    elif remove_logo:
        branding.logo, branding.logo_type = None, ""
    branding.updated_at = timezone.now()
    branding.save()
    return branding
