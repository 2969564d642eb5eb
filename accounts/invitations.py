"""Invitations: send, resend, revoke, accept (the writes), and reading a link's token.

A link carries a random token (``secrets.token_urlsafe(32)``: 256 bits); the database keeps only its
keyed hash (``salted_hmac`` with the project's secret), so neither a database copy nor a guess yields a
working link. A link is valid for :data:`INVITATION_VALIDITY` after it was last sent, works once, and
dies when the invitation is revoked or sent again (a resend draws a new token). Every refusal is a
``DomainError`` with a message for the person holding the link, never a server error.

Who may invite whom is ``accounts.rules``; each service checks it, so pages and API cannot differ.
Each write is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.mail import absolute_url, send_mail_to
from accounts.models import Invitation, InvitationStatus
from accounts.rules import may_invite
from audit.models import AuditAction
from audit.services import audit_record
from config.errors import DomainError
from config.throttling import Quota
from tenants.access import ROLE_RANK, client_is_reachable
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Client, Membership, Role, User
from tenants.services import membership_grant, user_create_or_update
from tenants.zones import client_zone

INVITATION_VALIDITY = timedelta(days=7)
NAME_MAX_LENGTH = User._meta.get_field("full_name").max_length
INVITATION_HMAC_SALT = "accounts.Invitation.token"
# Invitation mails one person may have sent (new ones and resends together): a member with the right
# to invite must not turn Pouls into a way of flooding inboxes.
INVITATION_MAILS = Quota(scope="invitation_mail", limit=50, window=timedelta(hours=1))


# --- tokens --------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return salted_hmac(INVITATION_HMAC_SALT, token, algorithm="sha256").hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def accept_path(token: str) -> str:
    # The public URLconf by name: a mail may be sent outside any request (a command, a test, a task).
    return reverse("invitation-accept", urlconf=settings.PUBLIC_SCHEMA_URLCONF, kwargs={"token": token})


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The open, unexpired invitation ``token`` belongs to, or a ``DomainError`` (field ``token``)
    saying why the link does not work."""
    invitations = Invitation.objects.select_related("agency", "client", "client__agency", "invited_by")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=token_hash(token or "")).first() if token else None
    if invitation is None:
        raise DomainError(_("This invitation link is not valid. Check that it was copied whole."), field="token")
    match invitation.status:
        case InvitationStatus.ACCEPTED:
            raise DomainError(_("This invitation has already been accepted. Log in to continue."), field="token")
        case InvitationStatus.REVOKED:
            raise DomainError(_("This invitation was withdrawn, or replaced by a newer one."), field="token")
        case InvitationStatus.EXPIRED:
            raise DomainError(_("This invitation has expired: ask for a new one."), field="token")
    if invitation.client_id is not None and not client_is_reachable(invitation.client):
        raise DomainError(_("This client account is no longer available."), field="token")
    agency = invitation.agency or invitation.client.agency
    if agency is not None and agency.is_suspended:
        raise DomainError(_("This agency's account is suspended."), field="token")
    return invitation


# --- sending -------------------------------------------------------------------------------------


def _mail_language(invitation: Invitation) -> str | None:
    """The inviting agency's language (the invitee's own, when they have an account, comes first)."""
    agency = invitation.agency or invitation.client.agency
    return agency.default_language if agency is not None else None


def _send(invitation: Invitation, token: str) -> bool:
    inviter = invitation.invited_by
    # The expiry date is the client's calendar day (its zone), whichever page or worker sends the mail;
    # an agency's invitation keeps the server's zone (an agency has no zone of its own).
    zone = client_zone(invitation.client) if invitation.client is not None else timezone.get_current_timezone()
    with timezone.override(zone):
        return send_mail_to(
            invitation.email,
            subject_template="accounts/mail/invitation_subject.txt",
            body_template="accounts/mail/invitation.txt",
            html_template="accounts/mail/invitation.html",
            context={
                "invitation": invitation,
                "place": invitation.place,
                "role": Role(invitation.role).label,  # lazy: translated in the mail's language
                "inviter": inviter.get_full_name() if inviter else "Pouls",
                "link": absolute_url(accept_path(token)),
                "expires_at": invitation.expires_at,
                "has_account": User.objects.filter(email=invitation.email).exists(),
            },
            language=_mail_language(invitation),
        )


def _mail_quota_taken(user: User) -> None:
    retry_after = INVITATION_MAILS.take(f"user:{user.pk}")
    if retry_after is not None:
        raise InvitationMailQuotaExceeded(retry_after)


class InvitationMailQuotaExceeded(DomainError):
    def __init__(self, retry_after: int):
        minutes = max(1, -(-retry_after // 60))
        message = ngettext(
            "You have sent too many invitations. Try again in %(minutes)d minute.",
            "You have sent too many invitations. Try again in %(minutes)d minutes.",
            minutes,
        )
        super().__init__(message % {"minutes": minutes}, code="throttled")
        self.retry_after = retry_after


def _audit(action: AuditAction, invitation: Invitation, actor, **details) -> None:
    audit_record(
        actor=actor,
        action=action,
        agency=invitation.agency,
        client=invitation.client,
        target=invitation.email,
        details={"role": invitation.role, **details},
    )


@transaction.atomic
def invitation_send(
    *, by: User, email: str, role: str, agency: Agency | None = None, client: Client | None = None
) -> Invitation:
    """Invite ``email`` to ``role`` on ``agency`` (agency roles) or ``client`` (client roles), and mail
    the link. An open invitation to the same place must be resent or revoked first (one live link per
    person and place), unless it has expired: it is then replaced."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid email address."), field="email") from exc
    if role in AGENCY_ROLES:
        if agency is None:
            raise DomainError(_("Choose the agency this role is for."), field="agency")
        client = None
    elif role in CLIENT_ROLES:
        if client is None:
            raise DomainError(_("Choose the client account this role is for."), field="client")
        agency = None
    else:
        raise DomainError(_("Choose one of the roles offered."), field="role")
    if not may_invite(by, role, agency=agency, client=client):
        raise DomainError(_("Your role does not allow inviting someone to this role here."), field="role")
    place = {"agency": agency} if agency is not None else {"client": client}
    if Membership.objects.filter(user__email=email, **place).exists():
        raise DomainError(_("This person is already a member here: change their role instead."), field="email")
    previous = Invitation.objects.open().select_for_update().filter(email=email, **place).first()
    if previous is not None:
        if previous.status != InvitationStatus.EXPIRED:
            raise DomainError(
                _("An invitation to this person is already pending: send it again or withdraw it."), field="email"
            )
        previous.revoked_at = timezone.now()  # expired: replaced by the new one
        previous.save(update_fields=["revoked_at"])
    _mail_quota_taken(by)
    token, hashed = _new_token()
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                email=email,
                role=Role(role),
                invited_by=by,
                token_hash=hashed,
                created_at=now,
                sent_at=now,
                expires_at=now + INVITATION_VALIDITY,
                **place,
            )
    except IntegrityError as exc:  # the same invitation sent twice at once: one of them wins
        raise DomainError(
            _("An invitation to this person is already pending: send it again or withdraw it."), field="email"
        ) from exc
    _audit(AuditAction.INVITATION_SENT, invitation, by)
    _send(invitation, token)
    return invitation


def _managed(invitation: Invitation, by: User) -> None:
    if not may_invite(by, invitation.role, agency=invitation.agency, client=invitation.client):
        raise DomainError(_("No such invitation."), code="not_found")
    if invitation.status in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise DomainError(_("No such invitation."), code="not_found")


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Mail a new link, valid for another :data:`INVITATION_VALIDITY`; the previous link stops working."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("agency", "client").get(pk=invitation.pk)
    )
    _managed(invitation, by)
    _mail_quota_taken(by)
    token, invitation.token_hash = _new_token()
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + INVITATION_VALIDITY
    invitation.invited_by = by
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "invited_by"])
    _audit(AuditAction.INVITATION_RESENT, invitation, by)
    _send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Withdraw an open invitation: its link stops working."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("agency", "client").get(pk=invitation.pk)
    )
    _managed(invitation, by)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _audit(AuditAction.INVITATION_REVOKED, invitation, by)
    return invitation


# --- accepting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    invitation: Invitation
    user: User
    membership: Membership
    created_user: bool


def invitation_account(invitation: Invitation) -> User | None:
    """The existing account the invitation is for, if any (it then accepts without a new password)."""
    return User.objects.filter(email=invitation.email).first()


@transaction.atomic
def invitation_accept(*, token: str, user: User | None = None, full_name: str = "", password: str = "") -> Accepted:
    """Turn the invitation of ``token`` into its membership.

    - The email has no account yet: a new one is made with ``full_name`` and ``password`` (Django's
      password validators apply); holding the link proves the address, so it is active at once.
    - The email has an account: ``user`` must be that account, already signed in or authenticated
      by the caller with its password. Holding the link alone is not enough: a forwarded mail must
      not give someone else's membership away.
    """
    invitation = invitation_for_token(token, lock=True)
    existing = invitation_account(invitation)
    created = False
    if existing is not None:
        if user is None or user.pk != existing.pk:
            raise DomainError(
                _("This invitation is for the account %(email)s: log in as %(email)s, or enter its password.")
                % {"email": invitation.email},
                field="password",
                code="login_required",
            )
        if not existing.is_active:
            raise DomainError(_("This account is disabled."), field="password")
        account = existing
    else:
        account = _new_account(invitation.email, full_name=full_name, password=password)
        created = True
    membership = _grant(invitation, account)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = account
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _audit(AuditAction.INVITATION_ACCEPTED, invitation, account, new_account=created)
    return Accepted(invitation=invitation, user=account, membership=membership, created_user=created)


def _new_account(email: str, *, full_name: str, password: str) -> User:
    full_name = (full_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not full_name:
        errors["name"] = [_("Enter your name.")]
    elif len(full_name) > NAME_MAX_LENGTH:
        errors["name"] = [_("At most %(count)d characters.") % {"count": NAME_MAX_LENGTH}]
    if not password:
        errors["password"] = [_("Choose a password.")]
    else:
        try:
            validate_password(password, User(email=email, full_name=full_name))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user, __ = user_create_or_update(email=email, password=password, full_name=full_name)
    return user


def _grant(invitation: Invitation, user: User) -> Membership:
    """The invited role, unless the person already holds a stronger one at that place (accepting a
    viewer's invitation never demotes a manager)."""
    place = {"agency": invitation.agency} if invitation.agency_id else {"client": invitation.client}
    current = Membership.objects.select_for_update().filter(user=user, **place).first()
    if current is not None and ROLE_RANK[Role(current.role)] >= ROLE_RANK[Role(invitation.role)]:
        return current
    return membership_grant(user=user, role=invitation.role, **place)
