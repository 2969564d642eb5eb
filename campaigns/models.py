"""Marketing data of one client account (tenant schema)."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

slug_key_validator = RegexValidator(r"^[a-z0-9_-]+$", _("Use lower-case letters, digits, '_' and '-'."))


class Channel(models.Model):
    """Where a lead or a visit comes from. Every client starts with GA4's default channel grouping
    (``campaigns.channels.BUILTIN_CHANNELS``) and may add its own."""

    key = models.CharField(_("key"), max_length=64, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    is_paid = models.BooleanField(_("paid"), default=False)
    is_builtin = models.BooleanField(_("built-in"), default=False, editable=False)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name
