"""The one way Pouls sends a mail to a person: rendered in the recipient's language, as plain text with
an optional HTML alternative, through Django's email backend (``EMAIL_URL``: SMTP in production, the
console for ``make demo``, files for browser tests, memory for the test suite).

The recipient's language is their own choice (``User.language``), else the language the caller knows
the mail is about (an invitation: the inviting agency's default), else the default of an agency they
work for, else ``settings.LANGUAGE_CODE``. An email address that belongs to a user is treated as that
user, so an invitation to someone who already has an account speaks their language.

Links in mails are absolute (``absolute_url``): a mail is read outside any request, so they are built
from ``settings.POULS_PUBLIC_URL``.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from tenants.models import Language, User
from tenants.selectors import user_preferred_language

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """``path`` (``/invitations/…/``) as a link a mail reader can follow."""
    return f"{settings.POULS_PUBLIC_URL}{path}"


def recipient_language(recipient: User | str, language: str | None = None) -> str:
    """The language a mail to ``recipient`` is written in (see the module's docstring for the order)."""
    user = recipient if isinstance(recipient, User) else User.objects.filter(email=recipient.strip().lower()).first()
    if user is not None and user.language in Language.values:
        return user.language
    if language in Language.values:
        return language
    if user is not None:
        agency_language = user_preferred_language(user)
        if agency_language in Language.values:
            return agency_language
    return settings.LANGUAGE_CODE


def send_mail_to(
    recipient: User | str,
    *,
    subject_template: str,
    body_template: str,
    html_template: str | None = None,
    context: dict | None = None,
    language: str | None = None,
    force_language: bool = False,
    attachments: list[tuple[str, bytes, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> bool:
    """Render and send one mail to ``recipient`` (a user or an email address).

    ``subject_template`` renders to one line (line breaks are dropped); ``body_template`` is the plain
    text (both rendered without HTML escaping), ``html_template`` an optional HTML alternative (escaped).
    Templates get ``context`` plus ``recipient`` (the address), ``public_url`` and ``language``.
    ``language`` is the caller's guess, used only when the recipient has no language of their own,
    unless ``force_language``: then it is the mail's language whoever reads it (a scheduled report is
    written in the language its schedule names). ``attachments`` are ``(filename, bytes, mimetype)``;
    ``headers`` are added to the message's own (``List-Unsubscribe``).

    Returns whether the backend accepted the mail. A mail server that is down or refuses the message
    is logged, not raised: the write that asked for the mail (an invitation, a sign-up) stands, and
    the person can ask for it again (resend, reset).
    """
    address, chosen, subject, body, html = _rendered(
        recipient, subject_template, body_template, html_template, context, language, force_language
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={**(headers or {}), "Content-Language": chosen},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    try:
        return message.send() == 1
    except (smtplib.SMTPException, OSError):
        logger.exception("Mail %r to %s could not be sent", subject_template, address)
        return False


def mail_preview(
    recipient: User | str, *, subject_template: str, body_template: str, context: dict | None = None, language=None
) -> str:
    """The subject and plain text ``send_mail_to`` would send with these arguments, to read (a
    command's dry run) without sending anything."""
    _address, _chosen, subject, body, _html = _rendered(
        recipient, subject_template, body_template, None, context, language, False
    )
    return f"{subject}\n\n{body}"


def _rendered(recipient, subject_template, body_template, html_template, context, language, force_language):
    """The address, language, one-line subject, text body and HTML body (or None) of a mail."""
    address = recipient.email if isinstance(recipient, User) else recipient.strip().lower()
    chosen = language if force_language and language in Language.values else recipient_language(recipient, language)
    full_context = {
        **(context or {}),
        "recipient": address,
        "public_url": settings.POULS_PUBLIC_URL,
        "language": chosen,
    }
    with translation.override(chosen):
        subject = " ".join(_render_text(subject_template, full_context).split())
        body = _render_text(body_template, full_context)
        html = render_to_string(html_template, full_context) if html_template else None
    return address, chosen, subject, body, html


def _render_text(template_name: str, context: dict) -> str:
    """A plain-text template, without HTML escaping: "Dupont & Fils" stays as typed, not "&amp;"."""
    return get_template(template_name).template.render(Context(context, autoescape=False))
