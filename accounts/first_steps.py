"""The "first steps" guide of a new agency: its people land on an empty portfolio, which says what to
do first (create a client account, invite people, get data in) until the agency has a client."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from tenants.models import AGENCY_ROLES, Agency, Client, Membership, Role


@dataclass(frozen=True)
class FirstSteps:
    agency: Agency
    role: Role

    @property
    def can_invite_staff(self) -> bool:
        return self.role == Role.OWNER


def first_steps_for(user) -> FirstSteps | None:
    """The agency ``user`` works for (owner or staff) when it has no client account at all yet, else
    ``None``. One query."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(user_id=user.pk, role__in=AGENCY_ROLES, agency__suspended_at__isnull=True)
        .annotate(has_clients=Exists(Client.objects.filter(agency_id=OuterRef("agency_id"))))
        .filter(has_clients=False)
        .select_related("agency")
        .order_by("pk")
        .first()
    )
    return FirstSteps(agency=membership.agency, role=Role(membership.role)) if membership else None
