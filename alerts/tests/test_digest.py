"""The agency digest: due on Monday from 08:00 in the agency's zone, once per person and week, worst
first with the numbers and links, in the person's language; nothing in a calm week unless asked."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

import alerts.digest
from accounts.models import DigestPreference, DigestSend, DigestSendStatus
from alerts.digest import MAX_ATTEMPTS, agency_zones, digest_batch, digest_for
from alerts.digest import digest_due as digest_tick
from alerts.models import Alert
from portfolio.models import Headline, Pulse
from tenants.models import Agency, Client, User
from tenants.services import client_create

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 12, 7, 8, 5, tzinfo=PARIS)  # 07:05 UTC
URL = settings.POULS_PUBLIC_URL
NOVEMBER = date(2026, 11, 1)  # the last complete month on 7 December: the one the portfolio reports


@pytest.fixture
def agency_in_paris(db, world):
    """Both of the agency's clients in Paris, so the agency's zone is Paris (ties go by name)."""
    Client.objects.filter(pk=world.beta.pk).update(time_zone="Europe/Paris")
    return world


def digest_due(at: str | None = None) -> dict:
    """One tick of ``alerts.digest_due``, then the batches it sends, run here as a worker would: the
    count of each digest's outcome (nothing when the tick sends nothing)."""
    batches: list = []
    with patch.object(digest_batch, "apply_async", lambda *, args=(), **_: batches.append(args)):
        digest_tick(at)
    outcomes: Counter[str] = Counter()
    for args in batches:
        outcomes.update(digest_batch.apply(args=args).get())
    return dict(outcomes)


def pulse(client, *, as_of=None, **fields) -> Pulse:
    defaults = {"as_of": as_of or timezone.now() - timedelta(hours=1), **fields}
    return Pulse.objects.update_or_create(client=client, defaults=defaults)[0]


def headline(client, kpi, value, target=None, status=None, anomaly=None) -> Headline:
    return Headline.objects.create(
        client=client, kpi=kpi, start=NOVEMBER, value=value, target=target, status=status, anomaly=anomaly
    )


def troubled(world) -> None:
    """beta: three reds (worst); alpha: one objective projected to miss; gamma (another agency): five reds."""
    pulse(world.beta, red=3, anomalies=1, pacing=0.9)
    headline(world.beta, "cost_per_lead", 45.0, 30.0, "red")
    headline(world.beta, "leads", 12.0, 20.0, "red", anomaly="down")
    pulse(
        world.alpha,
        pacing=0.6,
        misses=1,
        objectives=1,
        projection=0.6,
        projection_status="red",
        projection_kpi="leads",
        projected=120.0,
        month_target=200.0,
        needed_per_day=8.5,
    )
    pulse(world.gamma, red=5)


def calm(world) -> None:
    for client in (world.alpha, world.beta, world.gamma):
        pulse(client)


def received(mailoutbox) -> dict[str, object]:
    return {message.to[0]: message for message in mailoutbox}


def html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


@time_machine.travel(MONDAY, tick=False)
def test_agency_people_get_the_clients_worst_first_with_numbers_and_links_in_french(agency_in_paris, mailoutbox):
    world = agency_in_paris
    troubled(world)

    assert digest_due() == {"sent": 3}

    # then the agency's owner and staff get one mail each, the other agency's owner one of its own client;
    # client people nothing
    mails = received(mailoutbox)
    assert set(mails) == {"owner@agence.test", "staff@agence.test", "owner@other.test"}
    other = mails["owner@other.test"]
    assert "Gamma Ltd" in other.body and "Alpha" not in other.body and "Beta" not in other.body
    assert other.subject == "Other Agency: 1 client account needs attention (7 Dec 2026)"
    mail = mails["owner@agence.test"]
    assert mail.subject == "Agence Test : 2 comptes clients demandent votre attention (7 déc. 2026)"
    body = mail.body
    assert body.index("Beta SARL") < body.index("Alpha SAS")  # three reds before a projected miss
    assert "Gamma" not in body and "Gamma" not in html_of(mail)
    assert "Coût par lead hors objectif : 45,00\u00a0€ pour un objectif de 30,00\u00a0€" in body
    assert "1 anomalie récente : Leads générés (en dessous de l'habituel)" in body
    assert (
        "Objectifs projetés sous la cible du mois : 1 sur 1 — Leads générés : "
        "Projection fin de mois\u00a0: 120 / objectif 200 · il faut 8,5 par jour" in body
    )
    assert body.startswith("Bonjour,\n\n2 comptes clients d'Agence Test demandent votre attention cette semaine")
    assert f"{URL}/c/beta/" in body and f"{URL}/c/alpha/" in body
    assert f"{URL}/?attention=1" not in body  # every client listed: no "and N more"
    assert f'href="{URL}/c/beta/"' in html_of(mail)
    assert f"{URL}/accounts/profile/" in body
    assert mail.extra_headers["Content-Language"] == "fr"
    sends = DigestSend.objects.filter(agency=world.agency)
    assert sorted(sends.values_list("status", "clients", "week_start")) == [("sent", 2, date(2026, 12, 7))] * 2


@time_machine.travel(MONDAY, tick=False)
def test_a_person_who_chose_english_reads_it_in_english(agency_in_paris, mailoutbox):
    world = agency_in_paris
    User.objects.filter(pk=world.owner.pk).update(language="en")
    troubled(world)
    digest_due()
    mail = received(mailoutbox)["owner@agence.test"]
    assert mail.subject == "Agence Test: 2 client accounts need attention (7 Dec 2026)"
    assert "Cost per lead off target: €45.00 against a target of €30.00" in mail.body
    assert "Objectives projected to miss the month: 1 of 1 — Leads" in mail.body
    assert "8.5 needed per day" in mail.body
    assert received(mailoutbox)["staff@agence.test"].subject.startswith("Agence Test : 2 comptes")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 6, 8, 5, tzinfo=PARIS),  # Sunday
        datetime(2026, 12, 7, 7, 55, tzinfo=PARIS),  # Monday, before 08:00
        datetime(2026, 12, 8, 9, 0, tzinfo=PARIS),  # Tuesday
        datetime(2026, 12, 7, 8, 5, tzinfo=ZoneInfo("America/Montreal")),  # Monday 08:05, but not in Paris
    ],
)
def test_nothing_is_sent_outside_monday_morning_in_the_agencys_zone(agency_in_paris, mailoutbox, moment):
    with time_machine.travel(moment, tick=False):
        troubled(agency_in_paris)
        digest_due()
    agency_sent = [m for m in mailoutbox if m.to[0].endswith("@agence.test")]
    # Montreal's Monday 08:05 is Paris's Monday 14:05: Agence Test's digest is due then
    expected = 0 if moment.tzinfo == PARIS else 2
    assert len(agency_sent) == expected


def test_the_agency_zone_is_its_clients_zone(agency_in_paris):
    world = agency_in_paris
    Client.objects.filter(pk__in=[world.alpha.pk, world.beta.pk]).update(time_zone="Asia/Tokyo")
    agency = Agency.objects.get(pk=world.agency.pk)
    assert agency_zones([agency])[agency.pk] == ZoneInfo("Asia/Tokyo")
    # Tokyo's Monday 08:05 is Sunday 23:05 UTC: due then, not at Paris's 08:05
    with time_machine.travel(datetime(2026, 12, 7, 8, 5, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False):
        troubled(world)
        assert digest_due() == {"sent": 2}


@time_machine.travel(MONDAY, tick=False)
def test_two_ticks_and_the_command_send_once_a_week(agency_in_paris, mailoutbox):
    troubled(agency_in_paris)
    digest_due()
    assert digest_due() == {}  # the second tick finds every digest settled: it sends no batch
    out = StringIO()
    call_command("digest_send", agency="agence-test", stdout=out)
    assert out.getvalue().count("skipped") == 2
    assert len(mailoutbox) == 3 and DigestSend.objects.count() == 3
    # --force sends again (the row is the same week's, one more attempt)
    out = StringIO()
    call_command("digest_send", agency="Agence Test", user="OWNER@agence.test", force=True, stdout=out)
    assert (
        "owner@agence.test · week of 2026-12-07 · sent: 2 client account(s) of 2 (Beta SARL, Alpha SAS)"
        in out.getvalue()
    )
    assert len(mailoutbox) == 4
    assert DigestSend.objects.get(user=agency_in_paris.owner).attempts == 2


@time_machine.travel(MONDAY, tick=False)
def test_a_calm_week_sends_nothing_unless_the_person_asked(agency_in_paris, mailoutbox):
    world = agency_in_paris
    calm(world)
    DigestPreference.objects.create(user=world.staff, enabled=True, when_calm=True)

    assert digest_due() == {"calm": 2, "sent": 1}  # owner and the other agency's owner: calm

    assert list(received(mailoutbox)) == ["staff@agence.test"]
    mail = mailoutbox[0]
    assert mail.subject == "Agence Test : tout va bien cette semaine (7 déc. 2026)"
    assert "2 comptes clients d'Agence Test, aucun ne demande votre attention" in mail.body
    assert DigestSend.objects.get(user=world.owner).status == DigestSendStatus.CALM
    assert digest_due() == {}  # the calm week is settled too: no batch


@time_machine.travel(MONDAY, tick=False)
def test_a_person_who_turned_it_off_gets_nothing(agency_in_paris, mailoutbox):
    troubled(agency_in_paris)
    DigestPreference.objects.create(user=agency_in_paris.owner, enabled=False, when_calm=True)
    digest_due()
    assert sorted(received(mailoutbox)) == ["owner@other.test", "staff@agence.test"]
    assert not DigestSend.objects.filter(user=agency_in_paris.owner).exists()


@time_machine.travel(MONDAY, tick=False)
def test_client_people_get_nothing_and_their_digest_is_empty(agency_in_paris):
    world = agency_in_paris
    troubled(world)
    for person in (world.manager_alpha, world.viewer_beta, world.outsider):
        assert digest_for(person, world.agency, today=MONDAY.date()).calm
    # and the other agency's owner never sees Agence Test's clients
    assert digest_for(world.other_owner, world.agency, today=MONDAY.date()).calm
    mine = digest_for(world.other_owner, world.other_agency, today=MONDAY.date())
    assert [item.client.slug for item in mine.clients] == ["gamma"]


@time_machine.travel(MONDAY, tick=False)
def test_an_archived_client_is_left_out_and_a_suspended_agency_gets_nothing(agency_in_paris, mailoutbox):
    world = agency_in_paris
    troubled(world)
    Client.objects.filter(pk=world.beta.pk).update(is_active=False)
    digest_due()
    mail = received(mailoutbox)["owner@agence.test"]
    assert "Alpha SAS" in mail.body and "Beta SARL" not in mail.body

    mailoutbox.clear()
    DigestSend.objects.all().delete()
    Agency.objects.filter(pk=world.agency.pk).update(suspended_at=timezone.now())
    digest_due()
    assert [m for m in mailoutbox if m.to[0].endswith("@agence.test")] == []


@time_machine.travel(MONDAY, tick=False)
def test_stale_data_and_open_stale_alerts_are_named(agency_in_paris, mailoutbox):
    world = agency_in_paris
    User.objects.filter(pk=world.owner.pk).update(language="en")
    pulse(world.beta)
    pulse(world.alpha, as_of=MONDAY - timedelta(days=3))
    with tenant_context(world.beta):
        Alert.objects.create(agency_rule_id=1, rule_ref="a:1", kind="stale", subject="leads", period="day:2026-12-06")
    digest_due()
    body = received(mailoutbox)["owner@agence.test"].body
    assert "Numbers not refreshed since 4 Dec 2026 (3 days): the refresh is not running" in body
    assert "1 open alert: data is stale" in body
    assert body.index("Alpha SAS") < body.index("Beta SARL")  # the portfolio's order: by name, both calm


class RefusingBackend(BaseEmailBackend):
    """A mail relay that cannot be reached."""

    def send_messages(self, email_messages):
        raise OSError("relay unreachable")


@time_machine.travel(MONDAY, tick=False)
def test_a_refused_send_is_tried_again_at_the_next_ticks_up_to_a_bound(agency_in_paris, mailoutbox):
    troubled(agency_in_paris)
    Agency.objects.filter(pk=agency_in_paris.other_agency.pk).update(suspended_at=timezone.now())
    with override_settings(EMAIL_BACKEND=f"{__name__}.RefusingBackend"):
        assert digest_due() == {"failed": 2}
    row = DigestSend.objects.get(user=agency_in_paris.owner)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None) and row.error
    assert digest_due() == {"sent": 2}  # the relay is back
    assert len(mailoutbox) == 2
    assert DigestSend.objects.get(user=agency_in_paris.owner).attempts == 2

    DigestSend.objects.all().delete()
    mailoutbox.clear()
    with override_settings(EMAIL_BACKEND=f"{__name__}.RefusingBackend"):
        outcomes = [digest_due() for _ in range(MAX_ATTEMPTS + 2)]
    assert outcomes == [{"failed": 2}] * MAX_ATTEMPTS + [{}] * 2
    assert digest_due() == {} and mailoutbox == []  # given up for the week


@time_machine.travel(MONDAY, tick=False)
def test_the_command_previews_without_sending_or_recording(agency_in_paris, mailoutbox):
    troubled(agency_in_paris)
    out = StringIO()
    with translation.override("en"):
        call_command(
            "digest_send", agency=str(agency_in_paris.agency.pk), user="staff@agence.test", preview=True, stdout=out
        )
    text = out.getvalue()
    assert text.startswith("--- staff@agence.test\nAgence Test : 2 comptes clients demandent votre attention")
    assert text.index("Beta SARL") < text.index("Alpha SAS")
    assert mailoutbox == [] and not DigestSend.objects.exists()


def test_the_tick_sends_batches_of_the_people_waiting_in_queries_that_do_not_grow(agency_in_paris):
    world = agency_in_paris

    def measured(at: datetime) -> tuple[int, list]:
        batches: list = []
        record = patch.object(digest_batch, "apply_async", lambda *, args=(), **_: batches.append(args))
        with record, CaptureQueriesContext(connection) as queries:
            digest_tick(at.isoformat())
        return len(queries), batches

    for i in range(2):
        client_create(slug=f"idle-digest-{i}", name=f"Idle {i}", agency=world.agency)
    two_idle, batches = measured(MONDAY)
    # one batch: the three agency people (each agency's owners and staff), none of the client people
    [[digests, at]] = batches
    week = "2026-12-07"
    assert digests == [
        [world.agency.pk, world.owner.pk, week],
        [world.agency.pk, world.staff.pk, week],
        [world.other_agency.pk, world.other_owner.pk, week],
    ]
    assert at == MONDAY.isoformat()
    for i in range(2, 6):
        client_create(slug=f"idle-digest-{i}", name=f"Idle {i}", agency=world.agency)
    assert measured(MONDAY)[0] == two_idle
    # on Tuesday nobody is due: no batch
    assert measured(MONDAY + timedelta(days=1))[1] == []


@time_machine.travel(MONDAY, tick=False)
def test_a_digest_failing_before_its_claim_does_not_stop_the_batch(agency_in_paris, mailoutbox, monkeypatch):
    world = agency_in_paris
    troubled(world)
    real = alerts.digest.digest_deliver

    def fails_for_the_owner(user, agency, **options):
        if user.pk == world.owner.pk:
            raise RuntimeError("boom")
        return real(user, agency, **options)

    monkeypatch.setattr(alerts.digest, "digest_deliver", fails_for_the_owner)
    assert digest_due() == {"error": 1, "sent": 2}
    monkeypatch.setattr(alerts.digest, "digest_deliver", real)
    # the next tick finds the owner's digest still waiting, and only it
    assert digest_due() == {"sent": 1}
    assert sorted(m.to[0] for m in mailoutbox) == ["owner@agence.test", "owner@other.test", "staff@agence.test"]
