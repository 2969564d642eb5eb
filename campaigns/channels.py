"""The built-in channels: Google Analytics 4's default channel grouping (docs/kpis.md §2)."""

from django.utils.translation import gettext_lazy as _

# key -> (display name, paid)
BUILTIN_CHANNELS: dict[str, tuple[str, bool]] = {
    "direct": (_("Direct"), False),
    "organic_search": (_("Organic search"), False),
    "organic_social": (_("Organic social"), False),
    "organic_video": (_("Organic video"), False),
    "organic_shopping": (_("Organic shopping"), False),
    "email": (_("Email"), False),
    "referral": (_("Referral"), False),
    "sms": (_("SMS"), False),
    "paid_search": (_("Paid search"), True),
    "paid_social": (_("Paid social"), True),
    "paid_shopping": (_("Paid shopping"), True),
    "paid_video": (_("Paid video"), True),
    "display": (_("Display"), True),
    "paid_other": (_("Paid other"), True),
    "affiliates": (_("Affiliates"), False),
    "unassigned": (_("Unassigned"), False),
}


def channel_label(key: str, name: str) -> str:
    """What a person reads for a channel: a built-in one by its name in the active language (its row
    keeps the English name it was created with, and nobody may change a built-in channel); a
    client's own channel by the name the client gave it. Takes the key and the stored name so that
    a page reading plain rows (``values_list``) names channels as the ``Channel`` objects do."""
    builtin = BUILTIN_CHANNELS.get(key)
    return str(builtin[0]) if builtin else name
