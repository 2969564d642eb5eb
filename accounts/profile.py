"""A person's own profile: the name others see and the language Pouls speaks to them (pages and mails)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from config.errors import DomainError
from tenants.models import Language, User

FULL_NAME_MAX = User._meta.get_field("full_name").max_length


def profile_update(user: User, *, full_name: str, language: str) -> User:
    """Change ``user``'s name and language (empty: their agency's default)."""
    full_name = " ".join((full_name or "").split())
    if len(full_name) > FULL_NAME_MAX:
        raise DomainError(_("A name has at most %(max)d characters.") % {"max": FULL_NAME_MAX}, field="full_name")
    if language and language not in Language.values:
        raise DomainError(_("'%(language)s' is not a supported language.") % {"language": language}, field="language")
    user.full_name = full_name
    user.language = language
    user.save(update_fields=["full_name", "language"])
    return user
