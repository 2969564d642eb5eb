"""Client accounts from the portfolio: agency owners and staff create one (cloned from the template),
change its settings and archive it; an owner restores it. The rule of each field is the service's, so
the same bad value is refused in the same words by the page, the API and the ``create_client``
command, in French and in English. Every change is in the audit log, with who did it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tenants.utils import schema_exists

from audit.models import AuditAction, AuditEvent
from config.throttling import throttle_cache
from portfolio.client_rules import CLIENT_CREATIONS, creation_quota_key
from tenants.models import Agency, Client, Domain
from tenants.services import (
    agency_get_or_create,
    agency_suspend,
    client_archive,
    client_update,
    membership_grant,
    user_create_or_update,
)

CREATE = "/clients/new/"


def _settings(slug: str) -> str:
    return f"/clients/{slug}/settings/"


def _values(**overrides) -> dict[str, str]:
    return {"name": "Delta SAS", "slug": "delta", "time_zone": "Europe/Brussels", "currency": "EUR", **overrides}


def _events(action: AuditAction, client: Client | None = None, **filters) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(action=action, **filters)
    if client is not None:
        events = events.filter(client=client)
    return list(events)


def _fresh(client: Client) -> Client:
    """A copy of a session-wide client: the services update the instance they are given, and the
    world's must stay as it is for the next tests (the database is rolled back, objects are not)."""
    return Client.objects.get(pk=client.pk)


def _field_errors(html: str, field: str) -> str:
    marker = f'data-testid="errors-{field}"'
    assert marker in html, f"no error shown for {field}"
    start = html.index(marker)
    return html[start : html.index("</ul>", start)]


# --- create --------------------------------------------------------------------------------------


def test_an_owner_creates_a_client_account_from_the_portfolio(http_as, world):
    # given the owner on the portfolio, which offers the creation
    owner = http_as(world.owner)
    assert b'data-testid="client-create-link"' in owner.get("/").content
    page = owner.get(CREATE)
    assert page.status_code == 200 and b'name="slug"' in page.content and b'name="agency"' not in page.content
    # when they create "delta" (the agency is theirs: they work for one)
    response = owner.post(CREATE, _values(currency="chf"))
    # then it is provisioned (its own schema, cloned, and its route) for their agency, the currency upper-cased
    assert response.status_code == 302 and response["Location"] == "/"
    delta = Client.objects.get(slug="delta")
    assert (delta.name, delta.agency, delta.time_zone, delta.currency) == (
        "Delta SAS",
        world.agency,
        "Europe/Brussels",
        "CHF",
    )
    assert schema_exists("c_delta") and Domain.objects.get(tenant=delta).domain == "delta"
    # and the portfolio lists it, its dashboard opens, and the audit log says who created it
    portfolio = owner.get("/").content.decode()
    assert 'data-client="delta"' in portfolio and "/c/delta/" in portfolio
    assert owner.get("/c/delta/").status_code == 200
    (event,) = _events(AuditAction.CLIENT_CREATED, delta)
    assert (event.actor, event.agency, event.target) == (world.owner, world.agency, "delta")


def test_staff_create_too_and_a_taken_slug_is_refused(http_as, world):
    staff = http_as(world.staff)
    taken = staff.post(CREATE, _values(slug="gamma"))  # another agency's: slugs are one namespace (URLs)
    assert taken.status_code == 400
    assert "gamma" in _field_errors(taken.content.decode(), "slug")
    assert Client.objects.get(slug="gamma").agency == world.other_agency  # untouched
    created = staff.post(CREATE, _values(slug="epsilon", name="Epsilon"))
    assert created.status_code == 302
    epsilon = Client.objects.get(slug="epsilon")
    assert epsilon.agency == world.agency
    assert [e.actor for e in _events(AuditAction.CLIENT_CREATED, epsilon)] == [world.staff]


@pytest.mark.parametrize("who", ["manager_alpha", "sales_alpha", "viewer_alpha", "outsider"])
def test_client_people_and_outsiders_create_nothing(http_as, world, who):
    person = http_as(getattr(world, who))
    assert person.get(CREATE).status_code == 403
    assert person.post(CREATE, _values()).status_code == 403
    assert not Client.objects.filter(slug="delta").exists()


def test_a_suspended_agency_creates_nothing(http_as, world):
    agency_suspend(Agency.objects.get(pk=world.agency.pk))  # a copy: the world's agency stays as it is
    assert http_as(world.owner).post(CREATE, _values()).status_code == 403
    assert not Client.objects.filter(slug="delta").exists()


def test_someone_working_for_two_agencies_names_the_agency(http_as, world):
    # given the other agency's owner, also staff of the first agency
    membership_grant(user=world.other_owner, agency=world.agency, role="staff")
    person = http_as(world.other_owner)
    page = person.get(CREATE).content.decode()
    assert 'name="agency"' in page and world.agency.name in page and world.other_agency.name in page
    # when the agency is left out, or is one they do not work for
    missing = person.post(CREATE, _values())
    stranger, _ = agency_get_or_create(name="Stranger Agency")
    foreign = person.post(CREATE, {**_values(), "agency": stranger.pk})
    # then nothing is created and the page asks for it
    assert missing.status_code == 400 and 'data-testid="errors-agency"' in missing.content.decode()
    assert foreign.status_code == 400
    assert not Client.objects.filter(slug="delta").exists()


def test_the_first_steps_guide_links_to_the_creation_page(http_as, db):
    agency, _ = agency_get_or_create(name="Brand New Agency", default_language="en")
    owner, _ = user_create_or_update(email="owner@brand-new.test", password=None)
    membership_grant(user=owner, agency=agency, role="owner")
    page = http_as(owner).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="first-steps-create-client"' in page and f'href="{CREATE}"' in page


def test_creations_per_person_and_hour_are_bounded(http_as, world):
    for _ in range(CLIENT_CREATIONS.limit):
        CLIENT_CREATIONS.record(creation_quota_key(world.owner))
    try:
        refused = http_as(world.owner).post(CREATE, _values())
    finally:
        throttle_cache().clear()
    assert refused.status_code == 400 and 'data-testid="form-errors"' in refused.content.decode()
    assert not Client.objects.filter(slug="delta").exists()


# --- one rule, three ways in ------------------------------------------------------------------------

BAD_VALUES = [
    ("slug", "Bad Slug"),
    ("slug", "-dash"),
    ("slug", "admin"),
    ("slug", "x" * 51),
    ("name", "   "),
    ("name", "N" * 201),
    ("time_zone", "Europe/Atlantis"),
    ("time_zone", "localtime"),
    ("currency", "EURO"),
    ("currency", "FRF"),  # ISO 4217, but no longer in use
    ("currency", "XTS"),  # ISO 4217's test code
]


def _command_message(values: dict[str, str]) -> str:
    with pytest.raises(CommandError) as refused:
        call_command(
            "create_client",
            "--name",
            values["name"],
            "--timezone",
            values["time_zone"],
            "--currency",
            values["currency"],
            "--agency",
            "Agence Test",
            "--",  # a slug may start with a dash: still the slug, not an option
            values["slug"],
            stdout=StringIO(),
        )
    return str(refused.value)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(("field", "bad"), BAD_VALUES)
def test_the_same_bad_value_is_refused_in_the_same_words_by_the_page_the_api_and_the_command(
    http_as, world, field, bad, language
):
    values = _values(**{field: bad})
    owner = http_as(world.owner)
    owner.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the language switch's choice
    # the page
    page = owner.post(CREATE, values)
    assert page.status_code == 400
    # the API
    api = owner.post("/api/v1/clients/", values, content_type="application/json")
    assert api.status_code == 400
    (api_message,) = api.json()[field]
    # the command, in the same language
    with translation.override(language):
        command_message = _command_message(values)
    # then the three say the same thing, in that language, and nothing was created
    assert api_message == command_message
    assert command_message.replace("'", "&#x27;") in _field_errors(page.content.decode(), field)
    words = {"en": "client account", "fr": "compte client"} if field == "name" else {"en": "is not", "fr": "n'est pas"}
    assert words[language] in command_message
    assert not Client.objects.filter(name="Delta SAS").exists()
    assert not Client.objects.filter(slug=values["slug"]).exists() or values["slug"] == "admin"


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_owners_and_staff_change_the_settings(http_as, world, who):
    actor = getattr(world, who)
    person = http_as(actor)
    portfolio = person.get("/").content.decode()
    assert f'href="{_settings("alpha")}"' in portfolio
    page = person.get(_settings("alpha"))
    assert page.status_code == 200 and b"/c/alpha/" in page.content and b'name="slug"' not in page.content
    response = person.post(
        _settings("alpha"), {"name": " Alpha Group ", "time_zone": "America/Montreal", "currency": "usd"}
    )
    assert response.status_code == 302
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert (alpha.name, alpha.time_zone, alpha.currency, alpha.slug) == (
        "Alpha Group",
        "America/Montreal",
        "USD",
        "alpha",
    )
    (event,) = _events(AuditAction.CLIENT_UPDATED, alpha)
    assert event.actor == actor
    assert event.details == {"name": "Alpha Group", "time_zone": "America/Montreal", "currency": "USD"}


def test_saving_unchanged_settings_records_nothing(http_as, world):
    alpha = world.alpha
    response = http_as(world.owner).post(
        _settings("alpha"), {"name": alpha.name, "time_zone": alpha.time_zone, "currency": alpha.currency.lower()}
    )
    assert response.status_code == 302
    assert _events(AuditAction.CLIENT_UPDATED, alpha) == []


def test_a_refused_setting_is_shown_on_the_field_and_nothing_changes(http_as, world):
    response = http_as(world.staff).post(
        _settings("alpha"), {"name": "Alpha", "time_zone": "Mars/Olympus", "currency": "EUR"}
    )
    assert response.status_code == 400
    assert "Mars/Olympus" in _field_errors(response.content.decode(), "time_zone")
    assert Client.objects.get(pk=world.alpha.pk).time_zone == "Europe/Paris"


@pytest.mark.parametrize(("who", "status"), [("manager_alpha", 403), ("sales_alpha", 403), ("viewer_alpha", 403)])
def test_client_people_see_the_client_but_not_its_settings(http_as, world, who, status):
    person = http_as(getattr(world, who))
    assert person.get(_settings("alpha")).status_code == status
    assert person.post(_settings("alpha"), {"name": "Hacked"}).status_code == status
    assert person.post("/clients/alpha/archive/").status_code == status
    assert Client.objects.get(pk=world.alpha.pk).name == "Alpha SAS"
    assert Client.objects.get(pk=world.alpha.pk).is_active


@pytest.mark.parametrize("who", ["other_owner", "outsider", "viewer_beta"])
def test_another_agency_s_client_does_not_exist(http_as, world, who):
    person = http_as(getattr(world, who))
    for response in (
        person.get(_settings("alpha")),
        person.post(_settings("alpha"), {"name": "Hacked"}),
        person.post("/clients/alpha/archive/"),
        person.post("/clients/alpha/restore/"),
        person.get(_settings("no-such-client")),
    ):
        assert response.status_code == 404
    assert Client.objects.get(pk=world.alpha.pk).name == "Alpha SAS"


def test_the_slug_is_fixed(db, world):
    from config.errors import DomainError

    with pytest.raises(DomainError) as refused:
        client_update(_fresh(world.alpha), actor=world.owner, slug="alpha-2", name="Alpha 2")
    assert refused.value.field == "slug"
    assert client_update(_fresh(world.alpha), actor=world.owner, slug="alpha", name="Alpha 2") == {"name": "Alpha 2"}


def test_a_value_older_than_the_rule_stays_while_other_settings_change(db, world):
    # given a client whose currency the rule no longer takes (written before it, or in SQL)
    Client.objects.filter(pk=world.beta.pk).update(currency="XYZ", time_zone="US/Eastern")
    beta = _fresh(world.beta)
    # when only its name changes (the form sends the other values back as they are)
    changed = client_update(beta, actor=world.owner, name="Beta Group", currency="XYZ", time_zone="US/Eastern")
    # then the name is saved and the old values are kept, not refused
    assert changed == {"name": "Beta Group"}
    assert Client.objects.filter(pk=beta.pk, name="Beta Group", currency="XYZ", time_zone="US/Eastern").exists()


# --- archive and restore --------------------------------------------------------------------------


def test_archiving_closes_the_client_to_its_people_at_their_next_request(http_as, world):
    manager, viewer, owner, staff = (
        http_as(u) for u in (world.manager_alpha, world.viewer_alpha, world.owner, world.staff)
    )
    # given alpha's people, open sessions included, reaching it
    assert manager.get("/c/alpha/").status_code == 200
    assert viewer.get("/c/alpha/api/v1/kpis/").status_code in (200, 403)
    # when staff archive it from its settings page
    response = staff.post("/clients/alpha/archive/")
    assert response.status_code == 302
    # then, at the next request, every one of its people gets a 404, the agency's included
    for person in (manager, viewer, owner, staff):
        assert person.get("/c/alpha/").status_code == 404
        assert person.get("/c/alpha/api/v1/channels/").status_code == 404
    # its data is kept: the schema is there, the row is only inactive
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert not alpha.is_active and schema_exists(alpha.schema_name)
    # the portfolio no longer lists it; the owner finds it in the archived section, staff do not
    owner_page, staff_page = owner.get("/").content.decode(), staff.get("/").content.decode()
    assert 'data-client="alpha"' not in owner_page and 'data-archived-client="alpha"' in owner_page
    assert 'data-client="alpha"' not in staff_page and 'data-archived-client="alpha"' not in staff_page
    assert [e.actor for e in _events(AuditAction.CLIENT_ARCHIVED, alpha)] == [world.staff]


def test_only_an_owner_restores(http_as, world):
    client_archive(_fresh(world.alpha), actor=world.staff)
    # staff, the client's people and another agency cannot (an archived account does not exist for them)
    for who in ("staff", "manager_alpha", "other_owner"):
        assert http_as(getattr(world, who)).post("/clients/alpha/restore/").status_code == 404
    assert not Client.objects.get(pk=world.alpha.pk).is_active
    # the owner restores it, and its people are back at their next request
    assert http_as(world.owner).post("/clients/alpha/restore/").status_code == 302
    assert Client.objects.get(pk=world.alpha.pk).is_active
    assert http_as(world.manager_alpha).get("/c/alpha/").status_code == 200
    assert [e.actor for e in _events(AuditAction.CLIENT_RESTORED, world.alpha)] == [world.owner]


def test_staff_cannot_restore_an_active_account_either(http_as, world):
    assert http_as(world.staff).post("/clients/alpha/restore/").status_code == 403


def test_an_agency_whose_every_client_is_archived_keeps_its_portfolio(http_as, world):
    client_archive(_fresh(world.gamma), actor=world.other_owner)
    page = http_as(world.other_owner).get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-archived-client="gamma"' in html and 'data-testid="client-create-link"' in html


def test_archived_settings_are_not_edited(http_as, world):
    client_archive(_fresh(world.alpha), actor=world.owner)
    assert http_as(world.owner).get(_settings("alpha")).status_code == 404
    from config.errors import DomainError

    with pytest.raises(DomainError):
        client_update(Client.objects.get(pk=world.alpha.pk), actor=world.owner, name="Changed")


def test_archive_and_restore_are_recorded_once(db, world):
    alpha = _fresh(world.alpha)
    assert client_archive(alpha, actor=world.owner) is True and not alpha.is_active
    assert client_archive(alpha, actor=world.owner) is False  # already archived: nothing to record
    assert len(_events(AuditAction.CLIENT_ARCHIVED, world.alpha)) == 1
