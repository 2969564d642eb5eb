"""Share links (dashboards.sharing): managers and agency people create, list and revoke them; anyone
with the URL and no account sees the client's dashboard for the link's period and nothing else,
until it expires or is revoked. Unknown, expired and revoked tokens answer the same 404."""

import hashlib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from config.errors import DomainError
from conftest import GOLDEN_AS_OF
from dashboards.models import ShareLink
from dashboards.sharing import PASSWORD_FAILURES, SHARED_REQUESTS, share_link_create, share_link_revoke
from kpis.models import Snapshot
from tenants.models import Agency
from tests.formats import euros_fr

SHARE_PAGE = "/c/alpha/dashboard/share/"
API = "/c/alpha/api/v1/share-links/"
PARIS = ZoneInfo("Europe/Paris")
MARCH = {"period": "month", "range": "custom", "date_from": "2026-03-01", "date_to": "2026-03-01"}


def _link(world, *, today=None, **fields):
    """A new link of the current client (alpha), by its manager, made ``today`` (default: the real
    today): (link, URL path)."""
    today = today or timezone.localdate()
    fields = {"label": "Board", "period": "month", "range": "last", "expires_on": today + timedelta(days=30)} | fields
    created = share_link_create(by=world.manager_alpha, today=today, **fields)
    return created.link, f"/c/alpha/s/{created.token}/"


def _form(**fields) -> dict:
    return {
        "action": "create",
        "label": "Comité",
        "period": "month",
        "range": "last",
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
    } | fields


# --- The Share page -------------------------------------------------------------------------------


def test_a_manager_creates_a_link_shown_once_and_stored_as_a_hash(http_as, world, in_alpha):
    # given alpha's manager on the Share page
    browser = http_as(world.manager_alpha)
    browser.cookies["django_language"] = "en"
    # when they create a link
    response = browser.post(SHARE_PAGE, _form(password="s3cret-pass"))
    # then the page shows its URL, once (and no cache keeps it)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    url = re.search(
        r'value="(http://[^"]+/c/alpha/s/([^/"]+)/)"[^>]*data-testid="new-share-url"', response.content.decode()
    )
    assert url is not None
    token = url[2]
    link = ShareLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ShareLink.objects.values().get())  # only the hash is kept
    assert link.password.startswith("md5$") and "s3cret-pass" not in link.password  # hashed (test hasher)
    assert link.created_by_email == "manager@alpha.test"
    # and the list shows it, without its URL
    listing = browser.get(SHARE_PAGE).content.decode()
    assert "Comité" in listing and token not in listing
    row = listing[listing.index(f'data-testid="share-link-{link.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="live"' in row and "yes" in row and "never" in row


@pytest.mark.parametrize("who", ["owner", "staff", "manager_alpha"])
def test_managers_and_agency_people_use_the_share_page(http_as, world, who):
    assert http_as(getattr(world, who)).get(SHARE_PAGE).status_code == 200


@pytest.mark.parametrize("who", ["viewer_alpha", "sales_alpha"])
def test_viewers_and_sales_can_neither_list_nor_create_links(http_as, world, who, in_alpha):
    browser = http_as(getattr(world, who))
    assert browser.get(SHARE_PAGE).status_code == 403
    assert browser.post(SHARE_PAGE, _form()).status_code == 403
    assert not ShareLink.objects.exists()
    assert 'data-testid="share-page-link"' not in browser.get("/c/alpha/").content.decode()


def test_the_managers_dashboard_links_to_the_share_page(http_as, world):
    assert 'data-testid="share-page-link"' in http_as(world.manager_alpha).get("/c/alpha/").content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"label": "  "}, "label", "Give the link a label."),
        ({"expires_on": ""}, "expires_on", "Enter the date the link stops working."),
        ({"expires_on": "2026-13-01"}, "expires_on", "Enter a date as YYYY-MM-DD."),
        ({"expires_on": "2000-01-01"}, "expires_on", "The expiry date has passed."),
        ({"range": "custom"}, "date_from", "Required for a custom range."),
        (
            {"range": "custom", "date_from": "2026-03-01", "date_to": "2026-01-01"},
            "date_to",
            "The end comes before the start.",
        ),
        ({"period": "day"}, "period", "Choose “Week”, “Month” or “Quarter”."),
        ({"password": "short"}, "password", "At least 8 characters, or none."),
    ],
)
def test_a_bad_field_is_a_field_error_and_creates_nothing(http_as, world, in_alpha, fields, field, message):
    browser = http_as(world.manager_alpha)
    browser.cookies["django_language"] = "en"
    response = browser.post(SHARE_PAGE, _form(**fields))
    assert response.status_code == 400
    html = response.content.decode()
    assert html.index(f'name="{field}"') < html.index(message)  # under its field
    assert not ShareLink.objects.exists()
    # the API says the same about the same field
    api = http_as(world.manager_alpha)
    api.cookies["django_language"] = "en"
    body = {k: v for k, v in _form(**fields).items() if k != "action"}
    assert api.post(API, body, content_type="application/json").json() == {field: [message]}


def test_a_link_lasts_at_most_a_year(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    browser.cookies["django_language"] = "en"
    today = timezone.localdate()
    too_far = browser.post(SHARE_PAGE, _form(expires_on=(today + timedelta(days=366)).isoformat()))
    assert too_far.status_code == 400 and "A link lasts at most a year." in too_far.content.decode()
    assert browser.post(SHARE_PAGE, _form(expires_on=(today + timedelta(days=365)).isoformat())).status_code == 200
    assert ShareLink.objects.get().expires_at <= timezone.now() + timedelta(days=365)


def test_revoking_closes_the_link_at_once_and_is_audited(http_as, world, in_alpha):
    link, path = _link(world)
    assert http_as(None).get(path).status_code == 200
    # when the manager revokes it on the Share page
    response = http_as(world.manager_alpha).post(SHARE_PAGE, {"action": "revoke", "link": link.pk})
    assert response.status_code == 302
    # then the next request is a 404, and the log says who revoked it
    assert http_as(None).get(path).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is not None
    event = AuditEvent.objects.get(action=AuditAction.SHARE_LINK_REVOKED)
    assert event.actor == world.manager_alpha and event.client == world.alpha and event.agency == world.agency
    assert 'data-status="revoked"' in http_as(world.manager_alpha).get(SHARE_PAGE).content.decode()


def test_a_viewer_cannot_revoke_and_a_made_up_id_is_a_404(http_as, world, in_alpha):
    link, path = _link(world)
    assert http_as(world.viewer_alpha).post(SHARE_PAGE, {"action": "revoke", "link": link.pk}).status_code == 403
    manager = http_as(world.manager_alpha)
    for made_up in ("999999", "x", ""):
        assert manager.post(SHARE_PAGE, {"action": "revoke", "link": made_up}).status_code == 404
    assert http_as(None).get(path).status_code == 200


# --- The API ------------------------------------------------------------------------------------


def test_the_api_creates_lists_and_revokes_links(http_as, world, in_alpha):
    api = http_as(world.staff)
    # when agency staff create a link by API
    created = api.post(API, _form(label="API", password="open-sesame"), content_type="application/json")
    # then its URL comes back once, and it opens
    assert created.status_code == 201
    body = created.json()
    assert body["has_password"] is True and body["status"] == "live" and "password" not in body
    path = body["url"].removeprefix("http://testserver")
    assert path.startswith("/c/alpha/s/") and http_as(None).get(path).status_code == 200
    # the list gives no URL and no hash
    listed = api.get(API).json()
    assert [row["label"] for row in listed] == ["API"]
    assert "url" not in listed[0] and "token_hash" not in listed[0]
    # revoking closes it
    revoked = api.post(f"{API}{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert http_as(None).get(path).status_code == 404
    assert api.post(f"{API}999999/revoke/").status_code == 404
    actions = set(AuditEvent.objects.filter(client=world.alpha).values_list("action", flat=True))
    assert {AuditAction.SHARE_LINK_CREATED, AuditAction.SHARE_LINK_REVOKED} <= actions


@pytest.mark.parametrize("who", ["viewer_alpha", "sales_alpha"])
def test_viewers_and_sales_get_403_from_the_api_even_to_read(http_as, world, in_alpha, who):
    link, _path = _link(world)
    api = http_as(getattr(world, who))
    assert api.get(API).status_code == 403
    assert api.post(API, _form(), content_type="application/json").status_code == 403
    assert api.post(f"{API}{link.pk}/revoke/").status_code == 403
    assert ShareLink.objects.get().revoked_at is None


def test_the_api_of_another_client_is_a_404(http_as, world):
    assert http_as(world.manager_alpha).get("/c/beta/api/v1/share-links/").status_code == 404
    assert http_as(None).get(API).status_code in (401, 403)


# --- The shared page -----------------------------------------------------------------------------


def test_the_shared_page_is_the_dashboard_of_the_period_and_nothing_else(http_as, golden, in_alpha):
    # given a link to March on the golden example, made on 15 April
    with time_machine.travel(GOLDEN_AS_OF, tick=False):
        link, path = _link(golden, today=date(2026, 4, 15), **MARCH)
        # when someone without an account opens it
        response = http_as(None).get(path)
        data = http_as(None).get(path + "data/")
    # then they see March's cards, with the client's numbers
    assert response.status_code == 200
    html = response.content.decode()
    cpl = Snapshot.objects.get(period="month", kpi="cost_per_lead", dimension="", start="2026-03-01")
    assert f'data-role="value">{euros_fr(cpl.value)}</p>' in html
    assert "mars 2026" in html and "Alpha SAS" in html
    # and nothing that leads elsewhere: no API, CSV, admin, navigation, picker or customisation
    for absent in ("/api/", ".csv", "/admin", "/leads/", "/people/", "/accounts/", 'href="/"', "period-picker"):
        assert absent not in html, absent
    assert "customise" not in html and "Déconnexion" not in html
    addresses = re.findall(r'(?:href|src|action)="([^"]+)"', html)
    assert addresses and all(a.startswith((path, "/static/")) for a in addresses), addresses
    # noindex, in the page and in its headers
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    # the charts come from the link's own endpoint, without drill-down or CSV links
    assert f'data-api="{path}data/"' in html
    assert data.status_code == 200 and data["X-Robots-Tag"] == "noindex, nofollow"
    charts = data.json()["charts"]
    assert charts and all(c["drill"] is None and "csv" not in c for c in charts)
    assert all(row["href"] is None for c in charts for row in c["table"]["rows"])
    assert data.json()["focus"] == "2026-03-01"


def test_the_chart_data_ignore_any_other_state_asked_for(http_as, world, in_alpha):
    link, path = _link(world, **MARCH)
    body = http_as(None).get(path + "data/", {"range": "custom", "from": "2025-01-01", "to": "2025-06-01"}).json()
    assert body["focus"] == "2026-03-01" and body["first"] == "2026-03-01"
    drilled = http_as(None).get(path + "data/", {"dimension": "channel", "key": "paid_social"}).json()
    assert drilled == body


def test_a_rolling_period_moves_with_the_clients_calendar(http_as, world, in_alpha):
    # given a link to the last complete month (alpha lives in Paris), made on 1 April
    with time_machine.travel(datetime(2026, 4, 1, 9, tzinfo=PARIS), tick=False):
        link, path = _link(world, range="last", today=date(2026, 4, 1))
        week, week_path = _link(world, period="week", range="this", today=date(2026, 4, 1))
    visitor = http_as(None)
    # on 30 April at 23:30 in Paris the last complete month is March
    with time_machine.travel(datetime(2026, 4, 30, 23, 30, tzinfo=PARIS), tick=False):
        assert visitor.get(path + "data/").json()["focus"] == "2026-03-01"
    # half an hour later (still 30 April in UTC) it is April
    with time_machine.travel(datetime(2026, 5, 1, 0, 0, 30, tzinfo=PARIS), tick=False):
        assert visitor.get(path + "data/").json()["focus"] == "2026-04-01"
    # a week to date shows the current week
    with time_machine.travel(datetime(2026, 4, 16, 12, tzinfo=PARIS), tick=False):
        assert visitor.get(week_path + "data/").json()["focus"] == "2026-04-13"


def test_unknown_expired_and_revoked_links_answer_the_same_404(http_as, world, in_alpha):
    visitor = http_as(None)
    expired, expired_path = _link(world)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ShareLink.objects.filter(pk=expired.pk).update(created_at=an_hour_ago - timedelta(days=1), expires_at=an_hour_ago)
    revoked, revoked_path = _link(world)
    share_link_revoke(link=revoked, by=world.manager_alpha)
    made_up = "/c/alpha/s/" + "A" * 43 + "/"
    answers = [visitor.get(p) for p in (made_up, expired_path, revoked_path)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    paths = (made_up, expired_path, revoked_path)
    pages = {
        re.sub(rb'name="csrfmiddlewaretoken" value="\w+"', b"", answer.content.replace(p.encode(), b"PATH"))
        for answer, p in zip(answers, paths, strict=True)
    }
    assert len(pages) == 1  # the path and CSRF token of the language switch aside
    for suffix in ("data/", "brand.css", "logo"):
        assert visitor.get(expired_path + suffix).status_code == 404


def test_a_link_expires_at_the_end_of_its_last_day_in_the_clients_zone(http_as, world, in_alpha):
    with time_machine.travel(datetime(2026, 4, 1, 9, tzinfo=PARIS), tick=False):
        link, path = _link(world, today=date(2026, 4, 1), expires_on=date(2026, 4, 30))
    with time_machine.travel(datetime(2026, 4, 30, 23, 59, tzinfo=PARIS), tick=False):
        assert http_as(None).get(path).status_code == 200
    with time_machine.travel(datetime(2026, 5, 1, 0, 0, 1, tzinfo=PARIS), tick=False):
        assert http_as(None).get(path).status_code == 404


def test_a_link_of_alpha_does_not_open_under_another_client(http_as, world, in_alpha):
    link, path = _link(world)
    for slug in ("beta", "gamma", "no-such"):
        assert http_as(None).get(path.replace("/c/alpha/", f"/c/{slug}/")).status_code == 404
        assert http_as(None).get(path.replace("/c/alpha/", f"/c/{slug}/") + "data/").status_code == 404
    assert http_as(None).get(path).status_code == 200


def test_an_archived_client_or_a_suspended_agency_closes_its_links(http_as, world, in_alpha):
    link, path = _link(world)
    Agency.objects.filter(pk=world.agency.pk).update(suspended_at=timezone.now())
    assert http_as(None).get(path).status_code == 404
    Agency.objects.filter(pk=world.agency.pk).update(suspended_at=None)
    type(world.alpha).objects.filter(pk=world.alpha.pk).update(is_active=False)
    assert http_as(None).get(path).status_code == 404


def test_opening_is_counted_and_audited_the_chart_data_are_not(http_as, world, in_alpha):
    link, path = _link(world)
    visitor = http_as(None)
    visitor.get(path)
    visitor.get(path + "data/")
    visitor.get(path)
    link.refresh_from_db()
    assert link.use_count == 2 and link.last_used_at is not None
    opened = AuditEvent.objects.filter(action=AuditAction.SHARE_LINK_OPENED)
    assert opened.count() == 2
    event = opened.first()
    assert event.actor is None and event.client == world.alpha and event.agency == world.agency
    assert event.target == f"Board (#{link.pk})"
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_LINK_CREATED, actor=world.manager_alpha).count() == 1
    manager = http_as(world.manager_alpha)
    manager.cookies["django_language"] = "en"
    assert "2 visits" in manager.get(SHARE_PAGE).content.decode()


def test_a_password_opens_the_link_for_this_link_only(http_as, world, in_alpha):
    link, path = _link(world, password="open-sesame")
    other, other_path = _link(world, password="open-sesame")
    visitor = http_as(None)
    visitor.cookies["django_language"] = "en"
    # without the password: the form, no dashboard, no data
    locked = visitor.get(path)
    assert locked.status_code == 200 and 'data-testid="share-password"' in locked.content.decode()
    assert 'data-testid="dashboard"' not in locked.content.decode() and locked["X-Robots-Tag"] == "noindex, nofollow"
    assert visitor.get(path + "data/").status_code == 403
    # a wrong one
    wrong = visitor.post(path, {"password": "open-sesamE"})
    assert wrong.status_code == 400 and "Wrong password." in wrong.content.decode()
    # the right one: a cookie for this link's path, then the dashboard
    right = visitor.post(path, {"password": "open-sesame"})
    assert right.status_code == 303 and right["Location"] == path
    cookie = right.cookies["pouls_share"]
    assert cookie["path"] == path and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert 'data-testid="dashboard"' in visitor.get(path).content.decode()
    assert visitor.get(path + "data/").status_code == 200
    # the cookie is signed for that link: sent to another link's path, it opens nothing
    visitor.cookies["pouls_share"]["path"] = "/"
    assert 'data-testid="share-password"' in visitor.get(other_path).content.decode()
    link.refresh_from_db()
    assert link.use_count == 1  # the password form is not a visit


def test_wrong_passwords_are_limited_the_right_one_included(http_as, world, in_alpha):
    link, path = _link(world, password="open-sesame")
    visitor = http_as(None)
    with time_machine.travel(timezone.now().replace(minute=1, second=0), tick=False):
        for _ in range(PASSWORD_FAILURES.limit):
            assert visitor.post(path, {"password": "guess"}).status_code == 400
        refused = visitor.post(path, {"password": "open-sesame"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_too_many_requests_from_one_address_answer_429(http_as, world, in_alpha):
    # given someone walking made-up tokens
    visitor = http_as(None)
    visitor.cookies["django_language"] = "en"
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        for i in range(SHARED_REQUESTS.limit):
            assert visitor.get(f"/c/alpha/s/made-up-{i}/").status_code == 404
        # then the next request is refused, even for a real link
        link, path = _link(world)
        refused = visitor.get(path)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode() and refused["X-Robots-Tag"] == "noindex, nofollow"


def test_the_shared_page_is_branded(http_as, world, in_alpha):
    from dashboards.services import branding_save

    branding_save(client=world.alpha, color="#0a7d5a", logo=None, remove_logo=False)
    link, path = _link(world)
    html = http_as(None).get(path).content.decode()
    assert f'href="{path}brand.css"' in html and "is-branded" in html
    css = http_as(None).get(path + "brand.css")
    assert css.status_code == 200 and "--brand: #0a7d5a" in css.content.decode()


def test_the_shared_page_takes_a_fixed_number_of_queries(
    http_as, world, in_alpha, django_assert_num_queries, django_assert_max_num_queries
):
    # given links to one month, to 36 months and to the last complete month
    june, june_path = _link(world, range="custom", date_from="2026-06-01", date_to="2026-06-01")
    long, long_path = _link(world, range="custom", date_from="2023-07-01", date_to="2026-06-01")
    rolling, rolling_path = _link(world)
    visitor = http_as(None)
    for suffix in ("", "data/"):
        with CaptureQueriesContext(connection) as captured:
            assert visitor.get(june_path + suffix).status_code == 200
        # then the page (with its rate limit, count and audit entry) and its data stay small
        assert len(captured.captured_queries) <= (24 if suffix == "" else 20)
        # and the same whatever the length of the range
        with django_assert_num_queries(len(captured.captured_queries)):
            assert visitor.get(long_path + suffix).status_code == 200
        with django_assert_max_num_queries(len(captured.captured_queries)):
            assert visitor.get(rolling_path + suffix).status_code == 200


def test_the_shared_page_shows_the_notes_but_not_who_wrote_them(http_as, world, in_alpha):
    from annotations.services import annotation_create

    annotation_create(start=date(2026, 3, 3), text="Campagne de printemps lancée", author=world.manager_alpha)
    link, path = _link(world, **MARCH)
    shared = http_as(None).get(path)
    html = shared.content.decode()
    assert "Campagne de printemps lancée" in html
    assert "manager@alpha.test" not in html and "note-form" not in html
    # nor is the author in what the page was rendered from (not merely hidden by the template)
    assert [note["author"] for note in shared.context["notes"]] == [""]
    # while the team's own dashboard names the author
    team = http_as(world.viewer_alpha).get(
        "/c/alpha/", {"period": "month", "range": "custom", "from": "2026-03-01", "to": "2026-03-01"}
    )
    assert "manager@alpha.test" in team.content.decode()


def test_the_share_page_takes_the_same_queries_for_one_link_or_many(
    http_as, world, in_alpha, django_assert_num_queries
):
    _link(world)
    manager = http_as(world.manager_alpha)
    manager.get(SHARE_PAGE)  # warm up: session, language cookie
    with CaptureQueriesContext(connection) as captured:
        assert manager.get(SHARE_PAGE).status_code == 200
    for i in range(5):
        _link(world, label=f"Board {i}", password="open-sesame")
    with django_assert_num_queries(len(captured.captured_queries)):
        assert manager.get(SHARE_PAGE).status_code == 200


def test_a_client_holds_a_bounded_number_of_open_links(world, in_alpha, monkeypatch):
    from dashboards import sharing

    # given a client at its (lowered) limit of open links
    monkeypatch.setattr(sharing, "MAX_SHARE_LINKS", 2)
    first, _path = _link(world)
    _link(world)
    # then one more is refused on its label
    with pytest.raises(DomainError) as refused:
        _link(world)
    assert refused.value.field == "label"
    # and a revoked link no longer counts
    share_link_revoke(link=first, by=world.manager_alpha)
    assert _link(world)[0].pk
