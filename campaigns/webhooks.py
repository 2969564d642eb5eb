"""Email providers' tracking webhooks, one URL per client and provider:
``/c/<slug>/webhooks/email/<provider>/tracking/`` (SendGrid, Mailgun, Brevo, Mailjet).

django-anymail's tracking views check the call, parse the provider's payload into
``AnymailTrackingEvent``s and send each on anymail's ``tracking`` signal, which
``campaigns.email_tracking.email_event_record`` counts. The views here only change where the
credentials come from: anymail reads one global ``WEBHOOK_SECRET`` (basic auth) or Mailgun signing
key from settings; here each client has its own ``EmailProviderHook``, loaded per request in the
client's schema.

- No active hook of that provider for the client: 404, as for an unknown provider.
- SendGrid, Brevo, Mailjet: the call must carry the hook's ``username:password`` (HTTP basic auth).
- Mailgun: the call's HMAC-SHA256 signature must match the hook's signing key, and the time it signs
  must be within 15 minutes of ours (a replayed call is refused).
- Anything else is refused by anymail's validation (``AnymailWebhookValidationFailure``: a 400)
  before the payload is read, so nothing is written.
- Guessing is bounded: after ``WEBHOOK_GUESSES`` refused calls from one address to one client's
  webhooks, that address gets 429 with ``Retry-After`` until the window ends (counted in the shared
  throttle cache, so every process agrees).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import tracking
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridBaseWebhookView, SendGridTrackingWebhookView
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from campaigns.email_tracking import email_event_record
from campaigns.models import EmailProviderHook
from config.client_address import client_ip
from config.throttling import FailureLimit
from tenants.middleware import client_public_endpoint

Provider = EmailProviderHook.Provider
# A Mailgun call signed longer ago than this (or this far ahead) is refused: a replay.
MAILGUN_MAX_AGE = timedelta(minutes=15)
# Refused calls (wrong basic auth or signature) one address may make to one client's webhooks per window.
WEBHOOK_GUESSES = FailureLimit(scope="email-webhook", limit=10, window=timedelta(minutes=15))


def _unguessable() -> str:
    return secrets.token_urlsafe(32)


class ClientHookMixin:
    """Credentials from the current client's ``EmailProviderHook`` instead of global settings.

    anymail's constructors read global settings (and Mailgun's fails without a key). They get
    placeholders instead, unguessable ones, so that a view whose hook was not loaded refuses every
    call. ``setup`` then loads the hook of this request's client and puts its credentials where
    anymail's validators look: ``basic_auth`` (``AnymailBasicAuthMixin``) or ``webhook_signing_key``
    (Mailgun).
    """

    provider: str
    hook: EmailProviderHook | None = None
    # We never run without credentials: the client's hook always has them (model constraint).
    warn_if_no_basic_auth = False

    def __init__(self, **kwargs):
        super().__init__(**{**self.anymail_init_kwargs(), **kwargs})

    def anymail_init_kwargs(self) -> dict:
        return {"webhook_secret": [_unguessable()]}

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.hook = EmailProviderHook.objects.filter(provider=self.provider, is_active=True).first()
        if self.hook is None:
            raise Http404("No such webhook")
        self.load_credentials(self.hook)

    def load_credentials(self, hook: EmailProviderHook) -> None:
        self.basic_auth = [hook.basic_auth]

    def has_credentials(self) -> bool:
        return self.hook is not None and bool(self.hook.basic_auth)

    def post(self, request, *args, **kwargs):
        address = client_ip(request)
        retry_after = WEBHOOK_GUESSES.retry_after(address)
        if retry_after is not None:
            return HttpResponse(status=429, headers={"Retry-After": str(retry_after)})
        try:
            return super().post(request, *args, **kwargs)
        except AnymailWebhookValidationFailure:
            WEBHOOK_GUESSES.record(address)
            raise

    def validate_request(self, request):
        # anymail runs every validate_request of the class chain, this one first.
        if not self.has_credentials():
            raise AnymailWebhookValidationFailure(f"No credentials for the {self.esp_name} webhook")


class SendGridTracking(ClientHookMixin, SendGridTrackingWebhookView):
    provider = Provider.SENDGRID

    def __init__(self, **kwargs):
        # SendGridBaseWebhookView.__init__ only loads a global ECDSA verification key (none here: the
        # client's basic auth is the check, ``webhook_verification_key`` stays None) and warns, on every
        # request, that anymail no longer officially supports SendGrid. The rest of the chain runs.
        super(SendGridBaseWebhookView, self).__init__(**{**self.anymail_init_kwargs(), **kwargs})


class MailgunTracking(ClientHookMixin, MailgunTrackingWebhookView):
    provider = Provider.MAILGUN

    def anymail_init_kwargs(self) -> dict:
        # Mailgun signs its calls: no basic auth, and a signing key that matches nothing until setup.
        return {"webhook_secret": [], "api_key": None, "webhook_signing_key": _unguessable()}

    def load_credentials(self, hook: EmailProviderHook) -> None:
        self.basic_auth = []
        self.webhook_signing_key = hook.signing_key.encode("utf-8")

    def has_credentials(self) -> bool:
        return self.hook is not None and bool(self.hook.signing_key)

    def validate_request(self, request):
        # Replays: a signature stays valid forever, so Mailgun signs the time it sends each call and
        # advises refusing calls whose time is far from ours (anymail checks only the signature).
        sent_at = _mailgun_signed_timestamp(request)
        if sent_at is None or not abs(time.time() - sent_at) <= MAILGUN_MAX_AGE.total_seconds():
            raise AnymailWebhookValidationFailure("Mailgun webhook called with a stale or missing timestamp")


def _mailgun_signed_timestamp(request) -> float | None:
    """The signed ``timestamp`` (seconds since the epoch) of a Mailgun call: in the JSON body's
    ``signature`` block, or among the fields of a legacy form post."""
    try:
        if request.content_type == "application/json":
            raw = json.loads(request.body.decode("utf-8"))["signature"]["timestamp"]
        else:
            raw = request.POST["timestamp"]
        return float(raw)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError):
        return None


class BrevoTracking(ClientHookMixin, BrevoTrackingWebhookView):
    provider = Provider.BREVO


class MailjetTracking(ClientHookMixin, MailjetTrackingWebhookView):
    provider = Provider.MAILJET


TRACKING_VIEWS = {
    view.provider: view.as_view() for view in (SendGridTracking, MailgunTracking, BrevoTracking, MailjetTracking)
}


@client_public_endpoint
@csrf_exempt
def tracking_webhook(request, provider: str):
    """POST (HEAD for providers that check the URL) of one provider's tracking events."""
    view = TRACKING_VIEWS.get(provider)
    if view is None:
        raise Http404("No such provider")
    return view(request)


@receiver(tracking, dispatch_uid="campaigns.webhooks.count_tracking_event")
def _count_tracking_event(sender, event, esp_name, **kwargs):
    if isinstance(sender, type) and issubclass(sender, ClientHookMixin):  # not another anymail webhook
        email_event_record(provider=sender.provider, event=event)
