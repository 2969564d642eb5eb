"""Members of an agency or a client account: role changes and removals (the writes).

The rule is ``accounts.rules.may_manage_membership``: you may change or remove a membership whose role
you could invite. An agency keeps at least one owner: its last owner can be neither demoted nor
removed (the agency's row is locked while checking, so two owners demoting each other at the same time
cannot both succeed). Access is checked on every request from the memberships (``tenants.access``), so
a change applies to the member's very next request, API tokens included.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.rules import may_manage_membership
from audit.models import AuditAction
from audit.services import audit_record
from config.errors import DomainError
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Membership, Role, User


def _locked(membership: Membership) -> Membership:
    if membership.agency_id is not None:
        # Serialises every change to this agency's people (see the module's docstring).
        Agency.objects.select_for_update().filter(pk=membership.agency_id).first()
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "agency", "client", "client__agency")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise DomainError(_("No such member."), code="not_found")
    return locked


def _last_owner_kept(membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    owners = Membership.objects.filter(agency_id=membership.agency_id, role=Role.OWNER).exclude(pk=membership.pk)
    if not owners.exists():
        raise DomainError(
            _("An agency keeps at least one owner: make someone else owner first."), field="role", code="last_owner"
        )


def _audit(action: AuditAction, membership: Membership, by: User, **details) -> None:
    audit_record(
        actor=by,
        action=action,
        agency=membership.agency,
        client=membership.client,
        target=membership.user.email,
        details=details,
    )


@transaction.atomic
def member_role_change(*, membership: Membership, role: str, by: User) -> Membership:
    """Give the member ``role`` at the same place (an agency role for an agency membership, a client
    role for a client's)."""
    membership = _locked(membership)
    allowed = AGENCY_ROLES if membership.agency_id is not None else CLIENT_ROLES
    if role not in allowed:
        raise DomainError(
            _("Choose one of: %(roles)s.") % {"roles": ", ".join(str(Role(r).label) for r in allowed)}, field="role"
        )
    if not may_manage_membership(by, membership, new_role=role):
        raise DomainError(_("Your role does not allow giving this role here."), field="role", code="forbidden")
    if membership.role == role:
        return membership
    _last_owner_kept(membership)
    previous = membership.role
    membership.role = Role(role)
    membership.save(update_fields=["role"])
    _audit(AuditAction.ROLE_CHANGED, membership, by, old_role=previous, new_role=membership.role)
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: User) -> None:
    """Take the membership away; the person's account stays (with their other memberships)."""
    membership = _locked(membership)
    if not may_manage_membership(by, membership):
        raise DomainError(_("Your role does not allow removing this member."), code="forbidden")
    _last_owner_kept(membership)
    _audit(AuditAction.MEMBER_REMOVED, membership, by, role=membership.role)
    membership.delete()
