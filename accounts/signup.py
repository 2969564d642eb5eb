"""Sign-up of a new agency: the agency, its first owner (inactive until they confirm their email) and
the owner's membership, written together; then the confirmation mail.

A user *awaits confirmation* while inactive and never logged in: sign-up creates them so, and the
confirmation activates them and logs them in. A user deactivated after their first login (by
platform staff) does not await confirmation: no link can bring them back.

Every rule raises :class:`config.errors.DomainError` with the form's field name, so the page and any
API give the same message.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.mail import absolute_url, send_mail_to
from accounts.quotas import account_mail_allowed
from accounts.signup_tokens import CONFIRMATION_DAYS, confirmation_token_make, confirmation_token_user
from audit.models import AuditAction
from audit.services import audit_record
from config.errors import DomainError
from tenants.models import Agency, Language, Role, User
from tenants.services import membership_grant

logger = logging.getLogger(__name__)

AGENCY_NAME_MAX = Agency._meta.get_field("name").max_length
FULL_NAME_MAX = User._meta.get_field("full_name").max_length
EMAIL_MAX = User._meta.get_field("email").max_length


def awaiting_confirmation(user: User) -> bool:
    return not user.is_active and user.last_login is None


def agency_name_check(name: str) -> str:
    """The agency name as it will be stored, or the reason it cannot be."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Your agency needs a name."), field="agency_name")
    if len(name) > AGENCY_NAME_MAX:
        raise DomainError(
            _("An agency name has at most %(max)d characters.") % {"max": AGENCY_NAME_MAX}, field="agency_name"
        )
    if Agency.objects.filter(name__iexact=name).exists():
        raise DomainError(_name_taken_message(name), field="agency_name", code="taken")
    return name


def _name_taken_message(name: str) -> str:
    return _("An agency named “%(name)s” already has an account on Pouls.") % {"name": name}


def signup_email_check(email: str) -> str:
    """The email as it will be stored (trimmed, lower-cased), or the reason it cannot sign up."""
    email = (email or "").strip().lower()
    try:
        if len(email) > EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid email address."), field="email") from exc
    if User.objects.filter(email=email).exists():
        raise DomainError(_email_taken_message(), field="email", code="taken")
    return email


def _email_taken_message() -> str:
    return _(
        "This email already has a Pouls account. Log in, or reset your password if you have forgotten it; "
        "to add an agency to your account, ask Pouls' support."
    )


def signup_password_check(password: str, user: User) -> None:
    """Django's password validators (``AUTH_PASSWORD_VALIDATORS``), against the future user."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc


def agency_sign_up(*, agency_name: str, full_name: str, email: str, password: str, language: str) -> User:
    """Create the agency, its owner (inactive) and the owner's membership in one transaction, record
    it in the audit log, then mail the confirmation link. Returns the owner."""
    language = language if language in Language.values else settings.LANGUAGE_CODE
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise DomainError(_("Enter your name."), field="full_name")
    if len(full_name) > FULL_NAME_MAX:
        raise DomainError(_("A name has at most %(max)d characters.") % {"max": FULL_NAME_MAX}, field="full_name")
    with transaction.atomic():
        name = agency_name_check(agency_name)
        user = User(email=signup_email_check(email), full_name=full_name, is_active=False)
        signup_password_check(password, user)
        user.set_password(password)
        # The unique constraints decide between two sign-ups racing for the same name or email.
        try:
            with transaction.atomic():
                agency = Agency.objects.create(name=name, default_language=language)
        except IntegrityError as exc:
            raise DomainError(_name_taken_message(name), field="agency_name", code="taken") from exc
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise DomainError(_email_taken_message(), field="email", code="taken") from exc
        membership_grant(user=user, agency=agency, role=Role.OWNER)
        audit_record(
            actor=user, action=AuditAction.AGENCY_SIGNED_UP, agency=agency, target=user.email, details={"name": name}
        )
    confirmation_send(user, language=language)
    return user


def confirmation_send(user: User, *, language: str | None = None) -> bool:
    """Mail ``user`` a fresh confirmation link, unless they need none or their address's quota is spent
    (``accounts.quotas``). Returns whether a mail went out."""
    if not awaiting_confirmation(user):
        return False
    if not account_mail_allowed(user.email):
        logger.info("Confirmation mail to %s not sent: quota spent", user.email)
        return False
    agency = Agency.objects.filter(memberships__user=user, memberships__role=Role.OWNER).first()
    # The public URLconf by name: outside a request (a command, a task) reverse() would use the clients'.
    path = reverse(
        "signup-confirm", kwargs={"token": confirmation_token_make(user)}, urlconf=settings.PUBLIC_SCHEMA_URLCONF
    )
    link = absolute_url(path)
    return send_mail_to(
        user,
        subject_template="accounts/mail/signup_confirm_subject.txt",
        body_template="accounts/mail/signup_confirm_body.txt",
        context={"user": user, "agency": agency, "link": link, "days": CONFIRMATION_DAYS},
        language=language or (agency.default_language if agency else None),
    )


def confirmation_resend(email: str) -> bool:
    """Mail the confirmation again to the account of ``email`` if it awaits one. Says nothing about
    whether such an account exists (the caller answers alike)."""
    user = User.objects.filter(email=(email or "").strip().lower()).first()
    return user is not None and confirmation_send(user)


def signup_confirm(token: str) -> User | None:
    """Activate the user of a good confirmation ``token`` and return them; ``None`` for a forged,
    expired or already used link. The caller logs them in, which also kills the token."""
    user = confirmation_token_user(token)
    if user is None or not awaiting_confirmation(user):
        return None
    updated = User.objects.filter(pk=user.pk, is_active=False, last_login__isnull=True).update(is_active=True)
    if not updated:  # confirmed by a concurrent click in between
        return None
    user.is_active = True
    return user
