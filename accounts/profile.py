"""A person's own profile: the name others see, the language Pouls speaks to them (pages and mails) and
whether they get the agency's weekly digest (alerts.digest)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import DigestPreference
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


# The weekly digest, as one choice: (enabled, when_calm) of DigestPreference per answer.
DIGEST_CHOICES = {
    "attention": (True, False),
    "always": (True, True),
    "off": (False, False),
}
DIGEST_CHOICE_LABELS = [
    ("attention", gettext_lazy("When a client account needs attention")),
    ("always", gettext_lazy("Every week, even when all is well")),
    ("off", gettext_lazy("Never")),
]


def digest_choice(user: User) -> str:
    """``user``'s answer among ``DIGEST_CHOICES`` (no row: the defaults, "attention")."""
    preference = DigestPreference.objects.filter(user_id=user.pk).first() or DigestPreference()
    pair = (preference.enabled, preference.enabled and preference.when_calm)
    return next(choice for choice, value in DIGEST_CHOICES.items() if value == pair)


def digest_preference_update(user: User, *, digest: str) -> DigestPreference:
    """Set whether ``user`` gets the weekly digest, and whether in a calm week too."""
    if digest not in DIGEST_CHOICES:
        raise DomainError(_("'%(choice)s' is not a digest choice.") % {"choice": digest[:60]}, field="digest")
    enabled, when_calm = DIGEST_CHOICES[digest]
    preference, _created = DigestPreference.objects.update_or_create(
        user=user, defaults={"enabled": enabled, "when_calm": when_calm}
    )
    return preference
