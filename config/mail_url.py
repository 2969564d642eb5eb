"""``EMAIL_URL`` for the email providers Pouls already receives tracking webhooks from (SendGrid,
Mailgun, Brevo, Mailjet), sent through their HTTP APIs by django-anymail rather than SMTP:

    anymail+sendgrid://API_KEY@        anymail+brevo://API_KEY@
    anymail+mailgun://API_KEY@[REGION] anymail+mailjet://API_KEY:SECRET_KEY@

(``REGION`` ``eu`` sends through Mailgun's EU endpoint). Every other URL (smtp://, consolemail://,
filemail://) is django-environ's, read by the settings as before."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PREFIX = "anymail+"
PROVIDERS = ("sendgrid", "mailgun", "brevo", "mailjet")
MAILGUN_EU_API = "https://api.eu.mailgun.net/v3"


def is_anymail_url(url: str) -> bool:
    return url.startswith(PREFIX)


def anymail_settings(url: str) -> tuple[str, dict]:
    """The ``EMAIL_BACKEND`` and ``ANYMAIL`` settings an ``anymail+<provider>://`` URL stands for;
    ``ImproperlyConfigured`` naming what is wrong otherwise (a typo must stop the start, not lose mail)."""
    parts = urlsplit(url)
    provider = parts.scheme.removeprefix(PREFIX)
    if provider not in PROVIDERS:
        raise ImproperlyConfigured(f"EMAIL_URL: unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}.")
    key, secret = unquote(parts.username or ""), unquote(parts.password or "")
    if not key:
        raise ImproperlyConfigured(f"EMAIL_URL: the {provider} API key is missing (anymail+{provider}://KEY@).")
    options = {f"{provider.upper()}_API_KEY": key}
    if provider == "mailjet":
        if not secret:
            raise ImproperlyConfigured("EMAIL_URL: Mailjet needs its secret key too (anymail+mailjet://KEY:SECRET@).")
        options["MAILJET_SECRET_KEY"] = secret
    if provider == "mailgun" and (parts.hostname or "") == "eu":
        options["MAILGUN_API_URL"] = MAILGUN_EU_API
    return f"anymail.backends.{provider}.EmailBackend", options
