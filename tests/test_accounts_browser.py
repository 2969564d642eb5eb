"""In a real browser (gunicorn on the test database, Debian's chromium), people run their agency
themselves (issue 13): a new agency signs up and confirms from the mail, creates a client account and
invites a viewer, who accepts from the mail's link and reaches that client's dashboard and nothing
else; a client's manager invites a salesperson; an owner removes a member, who loses access at their
next request. The server writes its mails to files (``EMAIL_URL=filemail:///…``), which the tests
read as a mailbox.

Database reads and writes stay outside the browser blocks: Playwright runs an event loop in the
test's thread, where Django refuses database calls.
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import Invitation
from audit.models import AuditAction, AuditEvent
from conftest import PASSWORD
from tenants.models import Agency, Client, Membership, Role, User
from tenants.services import membership_grant, user_create_or_update
from tests.browser import browser_people, screenshot
from tests.processes import free_port, start_web, stop, wait_for

NEW_PASSWORD = "levain-du-matin-2026"
AGENCY_NAME = "Agence Fournée"
OWNER_EMAIL = "camille@fournee.test"
CLIENT_SLUG, CLIENT_NAME = "fournil", "Fournil du Port"
VIEWER_EMAIL = "lucie@fournil.test"
SALES_EMAIL = "vendeur@alpha.test"
LEAVER_EMAIL = "partant@alpha.test"
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between two messages in a file of Django's file backend
CONFIRMATION_LINK = re.compile(r"https?://[^\s]+/signup/confirm/[^\s/]+/")
INVITATION_LINK = re.compile(r"https?://[^\s]+/invitations/[A-Za-z0-9_-]+/")


@pytest.fixture
def db(committed):
    """Committed rows (gunicorn must see them): ``db`` here is ``committed``, as in the board's browser test."""
    return committed


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def web(django_db_setup, world, mail_dir, tmp_path_factory):
    """Pouls under gunicorn, its mails written to ``mail_dir``, its links pointing at itself."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"EMAIL_URL": f"filemail://{mail_dir}", "POULS_PUBLIC_URL": url}
    process = start_web(port, Path(tmp_path_factory.mktemp("web")) / "gunicorn.log", env=env)
    yield url
    stop(process)


def _forget(emails: list[str], *, agency_name: str | None = None, client_slugs: tuple[str, ...] = ()) -> None:
    """Remove what a test created (the session's other tests share this database): its client accounts
    and their schemas, its agency, its people and their invitations. The audit log keeps its events."""
    from axes.utils import reset as axes_reset

    from config.throttling import throttle_cache

    connection.set_schema_to_public()
    for client in Client.objects.filter(slug__in=client_slugs):
        client.delete(force_drop=True)
    Invitation.objects.filter(email__in=emails).delete()
    User.objects.filter(email__in=emails).delete()
    if agency_name:
        Agency.objects.filter(name=agency_name).delete()
    throttle_cache().clear()  # sign-ups and mails counted per address and recipient
    axes_reset()


@pytest.fixture
def forget():
    """``forget(emails, agency_name=…, client_slugs=…)``: cleaned before the test (a run cut short) and after."""
    plans = []

    def plan(emails: list[str], **kwargs) -> None:
        plans.append((emails, kwargs))
        _forget(emails, **kwargs)

    yield plan
    for emails, kwargs in plans:
        _forget(emails, **kwargs)


def _mails_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    """Every mail the server sent to ``address``, oldest first."""
    found = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        for raw in path.read_bytes().split(MAIL_SEPARATOR):
            if raw.strip():
                message = email.message_from_bytes(raw, policy=policy.default)
                if address in str(message["To"]):
                    found.append(message)
    return found


def _link_in_mail(mail_dir: Path, address: str, pattern: re.Pattern) -> str:
    """The link of the newest mail to ``address`` that has one (written by the request that sent it,
    so it is there when the page has answered; polled all the same)."""
    links: list[str] = []

    def arrived() -> bool:
        for message in reversed(_mails_to(mail_dir, address)):
            text = message.get_body(preferencelist=("plain",)).get_content()
            if match := pattern.search(text):
                links.append(match.group(0))
                return True
        return False

    assert wait_for(arrived, timeout=10), f"no mail with a link to {address} in {mail_dir}"
    return links[0]


def _log_in(page, address: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", address)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")


def _accept_as_new_person(page, link: str, name: str) -> None:
    page.goto(link)
    page.wait_for_selector("[data-testid=invitation-accept]")
    page.fill("#id_name", name)
    page.fill("#id_password", NEW_PASSWORD)
    page.fill("#id_password_again", NEW_PASSWORD)
    page.click("[data-testid=accept]")


@pytest.mark.browser
def test_an_agency_signs_up_creates_a_client_and_its_viewer_reaches_that_dashboard_only(db, web, mail_dir, forget):
    world = db
    forget([OWNER_EMAIL, VIEWER_EMAIL], agency_name=AGENCY_NAME, client_slugs=(CLIENT_SLUG,))

    with browser_people(web) as new_page:
        owner = new_page()
        # when Camille signs her agency up
        owner.goto("/signup/")
        owner.fill("#id_agency_name", AGENCY_NAME)
        owner.fill("#id_full_name", "Camille Fournier")
        owner.fill("#id_email", OWNER_EMAIL)
        owner.fill("#id_password", NEW_PASSWORD)
        owner.click("[data-testid=signup-form] button[type=submit]")
        # then she is asked to check her inbox, where a confirmation link waits
        owner.wait_for_url("**/signup/sent/")
        assert owner.locator("[data-testid=signup-sent]").is_visible()
        confirmation = _link_in_mail(mail_dir, OWNER_EMAIL, CONFIRMATION_LINK)
        assert confirmation.startswith(f"{web}/signup/confirm/")

        # when she follows it, she lands signed in on her agency's empty portfolio with the first steps
        owner.goto(confirmation)
        owner.wait_for_url(f"{web}/")
        assert owner.locator("[data-testid=first-steps]").is_visible()
        assert AGENCY_NAME in owner.locator("[data-testid=first-steps] h2").inner_text()
        assert owner.locator("[data-testid=portfolio]").count() == 0
        assert owner.locator("[data-testid=profile-link]").inner_text() == OWNER_EMAIL
        screenshot(owner, "signup-first-steps")

        # when she creates a client account from the guide
        owner.click("[data-testid=first-steps-create-client]")
        owner.wait_for_url("**/clients/new/")
        owner.fill("#id_name", CLIENT_NAME)
        owner.fill("#id_slug", CLIENT_SLUG)
        assert owner.input_value("#id_time_zone") == "Europe/Paris"
        assert owner.input_value("#id_currency") == "EUR"
        owner.click("[data-testid=client-create-submit]")
        # then (a schema is cloned meanwhile) the portfolio lists it, and the guide is gone
        owner.wait_for_url(f"{web}/", timeout=60_000)
        assert owner.locator(f"[data-testid=portfolio] tr[data-client={CLIENT_SLUG}]").count() == 1
        assert owner.locator("[data-testid=portfolio] tbody tr").count() == 1
        assert owner.locator("[data-testid=first-steps]").count() == 0

        # when she invites a viewer to it from the people page
        owner.click("[data-testid=people-link]")
        owner.wait_for_url("**/people/")
        assert owner.locator(f"[data-testid=client-{CLIENT_SLUG}]").count() == 1
        owner.click("[data-testid=invite-link]")
        owner.wait_for_url("**/people/invite/")
        owner.fill("#id_email", VIEWER_EMAIL)
        owner.select_option("#id_role", Role.VIEWER.value)
        owner.select_option("#id_place", f"client:{CLIENT_SLUG}")
        owner.click("main button[type=submit].primary")
        # then the invitation waits on the client's section
        owner.wait_for_selector(f'[data-testid=client-{CLIENT_SLUG}] [data-invitation="{VIEWER_EMAIL}"]')
        invitation = _link_in_mail(mail_dir, VIEWER_EMAIL, INVITATION_LINK)
        assert invitation.startswith(f"{web}/invitations/")

        # when Lucie opens the link in her own browser, chooses her name and password and accepts
        viewer = new_page()
        _accept_as_new_person(viewer, invitation, "Lucie Martel")
        # then she is signed in on that client's dashboard, read-only
        viewer.wait_for_url(f"{web}/c/{CLIENT_SLUG}/")
        assert viewer.locator("[data-testid=client-title]").inner_text() == CLIENT_NAME
        assert viewer.locator("[data-testid=profile-link]").inner_text() == VIEWER_EMAIL
        assert viewer.locator("[data-testid=pipeline-link]").count() == 0
        assert viewer.locator("[data-testid=people-link]").count() == 0
        screenshot(viewer, "invited-viewer-dashboard")

        # and nothing else: other clients' dashboards do not exist for her, of this agency's or another's
        assert viewer.goto("/c/alpha/").status == 404
        assert viewer.goto("/c/gamma/").status == 404
        # the root takes her straight back to her one client
        viewer.goto("/")
        assert viewer.url == f"{web}/c/{CLIENT_SLUG}/"
        # the people page is refused and names nobody
        assert viewer.goto("/people/").status == 403
        assert viewer.locator("[data-testid=no-people]").is_visible()
        people_text = viewer.locator("main").inner_text()
        assert CLIENT_NAME not in people_text and "Alpha SAS" not in people_text
        # the client's administration is refused
        assert viewer.goto(f"/c/{CLIENT_SLUG}/admin/").status == 403
        # and the clients API lists her one client
        clients = viewer.request.get("/api/v1/clients/")
        assert clients.status == 200
        assert [(c["slug"], c["role"]) for c in clients.json()] == [(CLIENT_SLUG, Role.VIEWER.value)]

        # and the owner now sees her among the client's members, the invitation gone
        owner.reload()
        section = owner.locator(f"[data-testid=client-{CLIENT_SLUG}]")
        assert section.locator(f'[data-member="{VIEWER_EMAIL}"]').count() == 1
        assert section.locator(f'[data-invitation="{VIEWER_EMAIL}"]').count() == 0

    # and the database agrees: a confirmed owner, a viewer of that one client, and the audit log
    connection.set_schema_to_public()
    agency = Agency.objects.get(name=AGENCY_NAME)
    camille = User.objects.get(email=OWNER_EMAIL)
    assert camille.is_active
    assert list(Membership.objects.filter(user=camille).values_list("agency", "client", "role")) == [
        (agency.pk, None, Role.OWNER)
    ]
    lucie = User.objects.get(email=VIEWER_EMAIL)
    assert (lucie.is_active, lucie.full_name) == (True, "Lucie Martel")
    assert list(Membership.objects.filter(user=lucie).values_list("agency", "client__slug", "role")) == [
        (None, CLIENT_SLUG, Role.VIEWER)
    ]
    assert Invitation.objects.get(email=VIEWER_EMAIL).accepted_by == lucie
    assert Client.objects.get(slug=CLIENT_SLUG).agency == agency
    actions = set(AuditEvent.objects.filter(agency=agency).values_list("action", flat=True))
    assert {
        AuditAction.AGENCY_SIGNED_UP,
        AuditAction.CLIENT_CREATED,
        AuditAction.INVITATION_SENT,
        AuditAction.INVITATION_ACCEPTED,
    } <= actions
    assert world.alpha.agency != agency


@pytest.mark.browser
def test_a_client_manager_invites_a_salesperson_who_accepts(db, web, mail_dir, forget):
    world = db
    forget([SALES_EMAIL])

    with browser_people(web) as new_page:
        manager = new_page()
        # when alpha's manager opens the people of alpha and invites a salesperson
        _log_in(manager, world.manager_alpha.email)
        manager.wait_for_url("**/c/alpha/")
        manager.click("[data-testid=people-link]")
        manager.wait_for_url("**/people/?client=alpha")
        manager.click("[data-testid=invite-link]")
        manager.wait_for_url("**/people/invite/?client=alpha")
        # (a manager gives client roles below their own, on their client only)
        assert manager.locator("#id_role option").evaluate_all("os => os.map(o => o.value)") == ["sales", "viewer"]
        assert manager.locator("#id_place option").evaluate_all("os => os.map(o => o.value)") == ["client:alpha"]
        manager.fill("#id_email", SALES_EMAIL)
        manager.select_option("#id_role", Role.SALES.value)
        manager.click("main button[type=submit].primary")
        # then the invitation waits on alpha's section
        manager.wait_for_selector(f'[data-testid=client-alpha] [data-invitation="{SALES_EMAIL}"]')
        invitation = _link_in_mail(mail_dir, SALES_EMAIL, INVITATION_LINK)

        # when the salesperson accepts it in their own browser
        sales = new_page()
        _accept_as_new_person(sales, invitation, "Paul Vendeur")
        # then they land on alpha's dashboard, with the pipeline theirs to work
        sales.wait_for_url(f"{web}/c/alpha/")
        assert sales.locator("[data-testid=client-title]").inner_text() == world.alpha.name
        assert sales.locator("[data-testid=pipeline-link]").is_visible()
        screenshot(sales, "invited-salesperson-dashboard")
        # and the manager sees them among alpha's members
        manager.reload()
        section = manager.locator("[data-testid=client-alpha]")
        assert section.locator(f'[data-member="{SALES_EMAIL}"]').count() == 1
        assert section.locator(f'[data-invitation="{SALES_EMAIL}"]').count() == 0

    connection.set_schema_to_public()
    paul = User.objects.get(email=SALES_EMAIL)
    assert list(Membership.objects.filter(user=paul).values_list("client", "role")) == [(world.alpha.pk, Role.SALES)]
    accepted = Invitation.objects.get(email=SALES_EMAIL)
    assert (accepted.invited_by, accepted.accepted_by) == (world.manager_alpha, paul)


@pytest.mark.browser
def test_a_removed_member_loses_access_at_their_next_request(db, web, forget):
    world = db
    forget([LEAVER_EMAIL])
    leaver, _ = user_create_or_update(email=LEAVER_EMAIL, password=PASSWORD)
    membership_grant(user=leaver, client=world.alpha, role=Role.VIEWER)

    with browser_people(web) as new_page:
        # given the member signed in on alpha's dashboard in their browser
        member = new_page()
        _log_in(member, LEAVER_EMAIL)
        member.wait_for_url(f"{web}/c/alpha/")
        assert member.locator("[data-testid=client-title]").inner_text() == world.alpha.name
        assert member.request.get("/c/alpha/api/v1/dashboard/").status == 200

        # when the agency's owner removes them from alpha on the people page
        owner = new_page()
        _log_in(owner, world.owner.email)
        owner.wait_for_url(f"{web}/")
        owner.goto("/people/?client=alpha")
        row = owner.locator(f'[data-testid=client-alpha] [data-member="{LEAVER_EMAIL}"]')
        row.locator("[data-testid=remove-member]").click()
        # then the people page comes back, at alpha's section, without them
        owner.wait_for_url("**/people/#client-alpha")
        assert owner.locator(f'[data-testid=client-alpha] [data-member="{world.viewer_alpha.email}"]').count() == 1
        assert owner.locator(f'[data-member="{LEAVER_EMAIL}"]').count() == 0
        assert LEAVER_EMAIL in owner.locator(".messages").inner_text()
        screenshot(owner, "people-member-removed")

        # and at their next request, alpha's dashboard no longer exists for the member
        assert member.goto("/c/alpha/").status == 404
        assert member.request.get("/c/alpha/api/v1/dashboard/").status == 404
        # and the root lists no client account for them
        member.goto("/")
        assert world.alpha.name not in member.locator("main").inner_text()

    connection.set_schema_to_public()
    assert not Membership.objects.filter(user=leaver).exists()
    removal = AuditEvent.objects.filter(action=AuditAction.MEMBER_REMOVED, target=LEAVER_EMAIL).get()
    assert (removal.actor, removal.client) == (world.owner, world.alpha)
