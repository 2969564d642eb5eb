"""The agency digest: each agency person's Monday-morning email of the clients needing attention.

Who: the active owners and staff of every agency that is not suspended, unless they turned it off
(accounts.DigestPreference). When: beat sends ``alerts.digest_due`` every 15 minutes from the public
schema; an agency is due on Monday from ``DIGEST_AT`` in its zone (``agency_zone``), and the tick sends
the people whose digest of the week is not settled to ``alerts.digest_batch``, several per task. What: the
portfolio's rows of that agency's clients (``portfolio.selectors.portfolio_for``, in its worst-first
order) that need a look — the portfolio's own attention (red statuses, anomalies), objectives
projected to miss the month, data gone stale, open "stale" alerts — with their numbers and links.
Nothing is sent in a calm week unless the person asked for it.

At most once per (person, agency, week): the ``DigestSend`` row is created in its own transaction
before the mail goes out, under a unique key, so a second tick or a second beat finds it and stops.
A send the mail server refused is marked failed and tried again at the next ticks, ``MAX_ATTEMPTS``
in all; a worker that dies between the row and the mail leaves it "sending", never re-sent
(docs/digest.md).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.mail import absolute_url, mail_preview, recipient_language, send_mail_to
from accounts.models import DigestPreference, DigestSend, DigestSendStatus
from accounts.people import agency_people as agency_memberships
from alerts.selectors import open_alert_counts
from config.enqueue import task_send
from config.words import of_name
from dashboards.formatting import Formatter
from dashboards.labels import anomaly_words, projection_words
from kpis.models import PeriodKind, Status
from kpis.periods import period_floor
from kpis.registry import KPIS
from portfolio.alert_rule_fields import AlertKind
from portfolio.models import HEADLINE_KPIS, Headline
from portfolio.selectors import PortfolioRow, is_stale, portfolio_for
from tenants.access import clients_visible_to
from tenants.models import Agency, Client, Membership, User
from tenants.pending import batch_task
from tenants.urlconfs import client_url
from tenants.zones import client_zone, zone_named

logger = logging.getLogger(__name__)

# Local time from which a Monday's digest goes out: the start of a working day, well after every
# client's nightly full refresh (03:00, kpis.tasks.NIGHTLY_AT), so the numbers include the weekend.
DIGEST_AT = time(8, 0)
# Ticks (15 minutes apart) a send the mail server refused is tried, the first included; then the
# week is given up (the row keeps the error) rather than mailing late in the week.
MAX_ATTEMPTS = 4
# Digests one ``alerts.digest_batch`` sends, one after the other, within these (soft: the batch stops,
# the next tick sends the rest; hard: the worker kills it), inside the 15 minutes between two ticks.
DIGESTS_PER_TASK = 10
BATCH_SOFT_TIME_LIMIT, BATCH_TIME_LIMIT = 13 * 60, 14 * 60
# Clients listed in one mail; the rest are counted, with the link to the portfolio's attention view.
MAX_LISTED = 25


# ---- when -------------------------------------------------------------------------------------


def agency_zones(agencies) -> dict[int, ZoneInfo]:
    """Each agency's time zone (one query): an agency has no zone of its own, so it is the zone most
    of its active client accounts use (ties: the first by name), else a new client's default."""
    default = Client._meta.get_field("time_zone").default
    counts = (
        Client.objects.accounts()
        .filter(agency__in=agencies, is_active=True)
        .values("agency_id", "time_zone")
        .annotate(n=Count("pk"))
        .order_by("agency_id", "-n", "time_zone")
    )
    zones: dict[int, str] = {}
    for row in counts:
        zones.setdefault(row["agency_id"], row["time_zone"])
    return {agency.pk: zone_named(zones.get(agency.pk, default)) for agency in agencies}


def due_week(zone: ZoneInfo, now: datetime) -> date | None:
    """The Monday (local date) whose digest is due at ``now`` in ``zone``; None before ``DIGEST_AT``
    on a Monday and on every other day (a Monday missed entirely is not caught up on Tuesday)."""
    local = now.astimezone(zone)
    return local.date() if local.weekday() == 0 and local.time() >= DIGEST_AT else None


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week (the KPIs' week: ``kpis.periods``)."""
    return period_floor(day, PeriodKind.WEEK)


def agency_people(agency: Agency):
    """The agency's active owners and staff who did not turn the digest off, by email."""
    off = DigestPreference.objects.filter(enabled=False).values("user_id")
    people = agency_memberships(agency).values("user_id")
    return User.objects.filter(is_active=True, pk__in=people).exclude(pk__in=off).order_by("email")


# ---- what -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestClient:
    """One client needing attention, with what the portfolio knows of it."""

    row: PortfolioRow
    reds: list[Headline]  # headline KPIs red over the reported month
    anomalies: list[Headline]  # headline KPIs flagged over the reported month
    stale: bool  # its refresh has not run for ``portfolio.selectors.STALE_AFTER``
    open_alerts: dict[str, int] = field(default_factory=dict)  # kind → open alerts in its schema

    @property
    def client(self) -> Client:
        return self.row.access.client

    @property
    def pulse(self):
        return self.row.pulse

    @property
    def misses(self) -> int:
        return self.pulse.misses if self.pulse is not None else 0

    @property
    def stale_alerts(self) -> int:
        return self.open_alerts.get(AlertKind.STALE, 0)


@dataclass(frozen=True)
class Digest:
    user: User
    agency: Agency
    week_start: date
    clients: list[DigestClient]  # worst first (the portfolio's order)
    total: int  # the agency's client accounts the person sees

    @property
    def calm(self) -> bool:
        return not self.clients


def needs_a_look(row: PortfolioRow, *, stale: bool, open_alerts: dict[str, int]) -> bool:
    """The digest's rule: the portfolio's own attention (red statuses, anomalies), plus objectives
    projected to miss the month and data that stopped coming (stale pulse, open "stale" alerts)."""
    misses = row.pulse is not None and row.pulse.misses > 0
    return row.needs_attention or misses or stale or open_alerts.get(AlertKind.STALE, 0) > 0


def digest_for(user: User, agency: Agency, *, today: date, now: datetime | None = None) -> Digest:
    """What ``user``'s digest of ``agency`` for ``today``'s week lists: that agency's clients only,
    reached through an agency role (a client manager or viewer gets an empty digest), worst first.
    A read of the public schema, plus one query per client in its own schema (its open alerts)."""
    now = now or timezone.now()
    accesses = [a for a in clients_visible_to(user) if a.client.agency_id == agency.pk and a.is_agency]
    rows = portfolio_for(user, accesses=accesses, kpis=HEADLINE_KPIS)
    listed = []
    for row in rows:
        with schema_context(row.access.client.schema_name):
            alerts = open_alert_counts()
        stale = is_stale(row, now=now)
        if not needs_a_look(row, stale=stale, open_alerts=alerts):
            continue
        reported = [row.reported(kpi) for kpi in HEADLINE_KPIS]
        listed.append(
            DigestClient(
                row=row,
                reds=[h for h in reported if h is not None and h.status == Status.RED],
                anomalies=[h for h in reported if h is not None and h.anomaly],
                stale=stale,
                open_alerts=alerts,
            )
        )
    return Digest(user=user, agency=agency, week_start=week_of(today), clients=listed, total=len(rows))


# ---- words ------------------------------------------------------------------------------------


def _day(fmt: Formatter, day: date) -> str:
    """``7 déc. 2026`` / ``7 Dec 2026``: day first in both languages."""
    return fmt.period(day, PeriodKind.DAY)


def _client_lines(item: DigestClient, language: str, now: datetime) -> dict:
    client, pulse = item.client, item.pulse
    fmt = Formatter(language, client.currency)
    lines = []
    for headline in item.reds:
        unit = KPIS[headline.kpi].unit
        lines.append(
            _("%(kpi)s off target: %(value)s against a target of %(target)s")
            % {
                "kpi": KPIS[headline.kpi].name(language),
                "value": fmt.value(headline.value, unit),
                "target": fmt.value(headline.target, unit),
            }
        )
    if pulse is not None and pulse.pacing_status == Status.RED:
        lines.append(
            _("Pacing of its weekly objectives off target: %(pacing)s") % {"pacing": fmt.value(pulse.pacing, "rate")}
        )
    if pulse is not None and pulse.anomalies:
        flagged = ", ".join(
            f"{KPIS[h.kpi].name(language)} ({anomaly_words(h.anomaly).lower()})" for h in item.anomalies
        )
        words = ngettext("%(count)s recent anomaly", "%(count)s recent anomalies", pulse.anomalies) % {
            "count": pulse.anomalies
        }
        lines.append(_("%(anomalies)s: %(kpis)s") % {"anomalies": words, "kpis": flagged} if flagged else words)
    if item.misses:
        kpi = pulse.projection_kpi
        name = KPIS[kpi].name(language) if kpi in KPIS else kpi
        projection = projection_words(
            fmt,
            projected=pulse.projected,
            month_target=pulse.month_target,
            needed_per_day=pulse.needed_per_day,
            status=pulse.projection_status,
        )
        count = _("Objectives projected to miss the month: %(misses)s of %(objectives)s") % {
            "misses": pulse.misses,
            "objectives": pulse.objectives,
        }
        lines.append(
            _("%(objectives)s — %(kpi)s: %(projection)s") % {"objectives": count, "kpi": name, "projection": projection}
        )
    if item.stale:
        if pulse is None:
            lines.append(_("Never refreshed: its numbers are not computed"))
        else:
            days = (now - pulse.as_of).days
            lines.append(
                ngettext(
                    "Numbers not refreshed since %(day)s (%(days)s day): the refresh is not running",
                    "Numbers not refreshed since %(day)s (%(days)s days): the refresh is not running",
                    days,
                )
                % {"day": _day(fmt, pulse.as_of.astimezone(client_zone(client)).date()), "days": days}
            )
    if item.stale_alerts:
        lines.append(
            ngettext("%(count)s open alert: data is stale", "%(count)s open alerts: data is stale", item.stale_alerts)
            % {"count": item.stale_alerts}
        )
    return {"name": client.name, "url": absolute_url(client_url(client, "client-home")), "lines": lines}


def _public_path(name: str) -> str:
    """A page of the root (portfolio, profile): a mail is rendered outside any request's URLconf."""
    return reverse(name, urlconf=settings.PUBLIC_SCHEMA_URLCONF)


def digest_context(digest: Digest, language: str, *, now: datetime | None = None) -> dict:
    """The mail's words and links in ``language`` (numbers and dates by dashboards.formatting)."""
    now = now or timezone.now()
    with translation.override(language):
        fmt = Formatter(language, "EUR")
        listed = digest.clients[:MAX_LISTED]
        return {
            "agency": digest.agency.name,
            "of_agency": of_name(digest.agency.name),  # "d'Agence Test": config.words
            "person": digest.user.full_name.split(" ")[0] if digest.user.full_name else "",
            "week": _day(fmt, digest.week_start),
            "calm": digest.calm,
            "count": len(digest.clients),
            "total": digest.total,
            "clients": [_client_lines(item, language, now) for item in listed],
            "more": len(digest.clients) - len(listed),
            "portfolio_url": absolute_url(_public_path("home")),
            "attention_url": absolute_url(_public_path("home") + "?attention=1"),
            "profile_url": absolute_url(_public_path("profile")),
        }


def digest_preview(digest: Digest, *, now: datetime | None = None) -> str:
    """The subject and plain text ``digest_mail`` would send, to read without sending or recording."""
    language = recipient_language(digest.user, digest.agency.default_language)
    return mail_preview(
        digest.user,
        subject_template="alerts/digest/subject.txt",
        body_template="alerts/digest/body.txt",
        context=digest_context(digest, language, now=now),
        language=language,
    )


def digest_mail(digest: Digest, *, now: datetime | None = None) -> bool:
    """Send ``digest`` to its person in their language (else the agency's); whether it was accepted."""
    language = recipient_language(digest.user, digest.agency.default_language)
    return send_mail_to(
        digest.user,
        subject_template="alerts/digest/subject.txt",
        body_template="alerts/digest/body.txt",
        html_template="alerts/digest/body.html",
        context=digest_context(digest, language, now=now),
        language=language,
    )


# ---- once -------------------------------------------------------------------------------------


def _claim(user: User, agency: Agency, week_start: date, *, force: bool) -> DigestSend | None:
    """The week's row, made ours in its own transaction before anything is sent; None when another
    tick has it (sent, calm, being sent, or failed ``MAX_ATTEMPTS`` times). ``force``: take it
    whatever its state (the command's --force)."""
    try:
        with transaction.atomic():
            return DigestSend.objects.create(
                user=user, agency=agency, week_start=week_start, status=DigestSendStatus.SENDING, attempts=1
            )
    except IntegrityError:
        pass
    rows = DigestSend.objects.filter(user=user, agency=agency, week_start=week_start)
    if not force:
        rows = rows.filter(status=DigestSendStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
    # One UPDATE: of two ticks retrying at once, the row lock lets one through, the other updates nothing.
    with transaction.atomic():
        taken = rows.update(status=DigestSendStatus.SENDING, attempts=F("attempts") + 1, error="")
    return rows.model.objects.get(user=user, agency=agency, week_start=week_start) if taken else None


def digest_deliver(
    user: User, agency: Agency, *, today: date, force: bool = False, now: datetime | None = None
) -> tuple[str, Digest | None]:
    """Send ``user`` their digest of ``agency`` for ``today``'s week at most once (``force``: again,
    and even when calm). Returns the outcome (sent, calm, failed, skipped) and the digest read."""
    now = now or timezone.now()
    send = _claim(user, agency, week_of(today), force=force)
    if send is None:
        return "skipped", None
    digest = None
    try:
        digest = digest_for(user, agency, today=today, now=now)
        when_calm = DigestPreference.objects.filter(user_id=user.pk, enabled=True, when_calm=True).exists()
        if digest.calm and not (when_calm or force):
            _finish(send, DigestSendStatus.CALM, clients=0)
            return "calm", digest
        sent = digest_mail(digest, now=now)
    except Exception as error:  # any failure is kept on the row and tried again at the next tick
        logger.exception("Digest of %s for agency %s failed", user.pk, agency.pk)
        _finish(send, DigestSendStatus.FAILED, error=f"{type(error).__name__}: {error}"[:1000])
        return "failed", digest
    if not sent:
        _finish(
            send,
            DigestSendStatus.FAILED,
            clients=len(digest.clients),
            error="The mail server refused it or was unreachable.",
        )
        return "failed", digest
    _finish(send, DigestSendStatus.SENT, clients=len(digest.clients), sent_at=timezone.now())
    return "sent", digest


def _finish(send: DigestSend, status: str, **fields) -> None:
    fields = {"status": status, **fields}
    DigestSend.objects.filter(pk=send.pk).update(**fields)


def digests_waiting(due: dict[int, date]) -> list[tuple[int, int]]:
    """The (agency, person) pairs of the agencies ``due`` (agency id: its Monday) whose digest of that
    week is not settled yet: no row, or a failed one with attempts left. One query, whatever the
    agencies, people and clients; by agency, then email."""
    if not due:
        return []
    off = DigestPreference.objects.filter(enabled=False).values("user_id")
    settled = DigestSend.objects.filter(
        user_id=OuterRef("user_id"), agency_id=OuterRef("agency_id"), week_start__in=set(due.values())
    ).exclude(status=DigestSendStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
    waiting = (
        Membership.objects.filter(~Exists(settled), agency_id__in=list(due), user__is_active=True)
        .exclude(user_id__in=off)
        .order_by("agency_id", "user__email")
        .values_list("agency_id", "user_id", "user__email")
        .distinct()
    )
    return [(agency_id, user_id) for agency_id, user_id, _email in waiting]


@shared_task(name="alerts.digest_due", acks_late=True)
def digest_due(at: str | None = None) -> dict:
    """Every 15 minutes (beat, public schema): find the agencies whose Monday ``DIGEST_AT`` has come and
    their people whose digest of the week is not settled (``digests_waiting``), in a constant number of
    queries, and send one ``alerts.digest_batch`` per ``DIGESTS_PER_TASK`` of them. Another day of the
    week, or once everyone's is settled, it sends nothing. Once the broker refuses a batch nothing more
    is sent: the digests not sent have no row, so the next tick finds them again (time-driven work
    needs no mark). ``at``: an ISO instant to act as of, for a test's worker process (whose clock
    cannot be moved); beat sends none."""
    if connection.schema_name != get_public_schema_name():
        raise ValueError("alerts.digest_due runs in the public schema.")
    now = datetime.fromisoformat(at) if at else timezone.now()
    agencies = list(Agency.objects.filter(suspended_at__isnull=True, clients__is_active=True).distinct().order_by("pk"))
    zones = agency_zones(agencies)
    due = {agency.pk: week for agency in agencies if (week := due_week(zones[agency.pk], now)) is not None}
    waiting = [[agency_id, user_id, due[agency_id].isoformat()] for agency_id, user_id in digests_waiting(due)]
    sent = 0
    for start in range(0, len(waiting), DIGESTS_PER_TASK):
        if not task_send(digest_batch, args=[waiting[start : start + DIGESTS_PER_TASK], now.isoformat()]):
            break
        sent += 1
    return {"people": len(waiting), "tasks": sent}


@batch_task("alerts.digest_batch", soft_time_limit=BATCH_SOFT_TIME_LIMIT, time_limit=BATCH_TIME_LIMIT, retry_backoff=10)
def digest_batch(digests: list[list], at: str) -> dict:
    """Each (agency id, user id, Monday) of ``digests``: that person's digest of that week, at most once
    (``digest_deliver``'s claim: a second batch of the same person skips it), as of ``at``. A digest
    that fails is recorded failed and tried again at the next ticks (``MAX_ATTEMPTS``); one that fails
    before its claim is logged and found again by the next tick; the batch goes on. At the soft time
    limit the batch stops: the digests left have no row, so the next tick sends them."""
    now = datetime.fromisoformat(at)
    agencies = Agency.objects.in_bulk({agency_id for agency_id, _user, _week in digests})
    users = User.objects.in_bulk({user_id for _agency, user_id, _week in digests})
    outcomes: Counter[str] = Counter()
    for agency_id, user_id, week in digests:
        if agency_id not in agencies or user_id not in users:
            continue  # gone since the tick
        try:
            outcome, _digest = digest_deliver(
                users[user_id], agencies[agency_id], today=date.fromisoformat(week), now=now
            )
        except SoftTimeLimitExceeded:
            logger.warning("Digest batch stopped at its time limit; the next tick sends the rest")
            break
        except Exception:
            logger.exception("Digest of %s for agency %s failed before its claim", user_id, agency_id)
            outcome = "error"
        outcomes[outcome] += 1
    return dict(outcomes)
