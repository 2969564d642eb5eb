"""The sales screens: pipeline board, lead list and lead page, and the small POST views behind their
buttons. Real PostgreSQL, real middleware, no mocks."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from leads.models import STAGE_ORDER, ChangeOrigin, Lead, LeadNote, Stage, StageTransition
from leads.services import lead_mark_lost
from leads.tests.factories import LeadFactory, LeadNoteFactory, StageMoveFactory

BOARD = "/c/alpha/leads/"
LIST = "/c/alpha/leads/list/"


def _page(lead_or_pk) -> str:
    pk = getattr(lead_or_pk, "pk", lead_or_pk)
    return f"/c/alpha/leads/{pk}/"


# Every test runs in alpha (in_alpha): the helpers read alpha's rows.


def _fresh(lead: Lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


def _history(lead: Lead) -> list[StageTransition]:
    return list(StageTransition.objects.filter(lead=lead).order_by("recorded_at", "pk"))


def _fr(text) -> str:
    """A label as the pages of the test clients show it (their agency works in French)."""
    with translation.override("fr"):
        return str(text)


def _column(html: str, stage: str) -> str:
    """The HTML of one board column."""
    match = re.search(rf'<section class="board-column" data-stage="{stage}".*?</section>', html, re.S)
    assert match, f"no column {stage}"
    return match.group(0)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _many(world, n: int, *, prefix: str, stage_cycle=STAGE_ORDER) -> list[Lead]:
    return [
        LeadFactory(
            email=f"{prefix}{i}@example.test",
            first_name=f"First{i}",
            last_name=f"Last{i}",
            company=f"Company {i}",
            stage=stage_cycle[i % len(stage_cycle)],
            deal_value=Decimal(100 * i),
            owner=world.sales_alpha if i % 2 else None,
        )
        for i in range(n)
    ]


# --- pipeline board --------------------------------------------------------------------------------


def test_the_board_shows_one_column_per_stage_with_count_and_total_of_open_leads(http_as, world, in_alpha):
    # given open leads at several stages, one without a value, and a lost lead
    ann = LeadFactory(first_name="Ann", company="Acme", stage=Stage.MQL, deal_value=Decimal(1000))
    bob = LeadFactory(stage=Stage.MQL, deal_value=Decimal("2500.50"))
    LeadFactory(stage=Stage.SQL, deal_value=Decimal(500))
    LeadFactory(stage=Stage.LEAD)
    lost = lead_mark_lost(lead=LeadFactory(stage=Stage.MQL, deal_value=Decimal(9999)), reason="budget")
    # when a sales person opens the board
    response = http_as(world.sales_alpha).get(BOARD)
    # then every stage has its column, in pipeline order, with the open leads' count and total
    assert response.status_code == 200
    columns = {c.stage: c for c in response.context["columns"]}
    assert [c.stage for c in response.context["columns"]] == STAGE_ORDER
    assert {s: (c.count, c.total) for s, c in columns.items()} == {
        Stage.LEAD: (1, Decimal(0)),
        Stage.MQL: (2, Decimal("3500.50")),
        Stage.SQL: (1, Decimal(500)),
        Stage.CUSTOMER: (0, Decimal(0)),
    }
    html = response.content.decode()
    mql = _column(html, "mql")
    assert 'data-testid="column-count">2<' in mql
    assert f'data-lead="{ann.pk}"' in mql and f'data-lead="{bob.pk}"' in mql
    assert "Acme" in mql
    # and the lost lead is on no column
    assert f'data-lead="{lost.pk}"' not in html
    # and each card can move to its neighbouring stages with a plain form (no JavaScript needed)
    assert f'action="/c/alpha/leads/{ann.pk}/move/"' in mql
    assert 'name="to" value="lead"' in mql and 'name="to" value="sql"' in mql
    assert 'draggable="true"' in mql
    assert '<script src="/static/pouls/pipeline.js" defer></script>' in html


def test_the_board_has_no_inline_javascript(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test", stage=Stage.MQL)
    for path in (BOARD, LIST, _page(lead)):
        html = http_as(world.sales_alpha).get(path).content.decode()
        # every script is a static file loaded with defer; no inline code, no event handler attribute
        assert all("src=" in tag and "defer" in tag for tag in re.findall(r"<script[^>]*>", html)), path
        assert not re.search(r"<script[^>]*>\s*[^<\s]", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path


def test_my_leads_and_the_other_filters_narrow_the_board(http_as, world, in_alpha):
    # given a lead owned by the sales person and one owned by the manager
    mine = LeadFactory(company="Acme", stage=Stage.MQL, owner=world.sales_alpha)
    theirs = LeadFactory(company="Globex", stage=Stage.MQL, owner=world.manager_alpha)
    sales = http_as(world.sales_alpha)
    # when the sales person asks for their own leads
    html = sales.get(BOARD + "?mine=true").content.decode()
    # then only theirs is on the board
    assert f'data-lead="{mine.pk}"' in html and f'data-lead="{theirs.pk}"' not in html
    # and the other filters of LeadFilter apply too (text search, owner)
    html = sales.get(BOARD + "?q=globex").content.decode()
    assert f'data-lead="{theirs.pk}"' in html and f'data-lead="{mine.pk}"' not in html
    html = sales.get(BOARD + f"?owner={world.manager_alpha.pk}").content.decode()
    assert f'data-lead="{theirs.pk}"' in html and f'data-lead="{mine.pk}"' not in html
    # and the counts follow the filters
    columns = {c.stage: c.count for c in sales.get(BOARD + "?mine=true").context["columns"]}
    assert columns[Stage.MQL] == 1
    # and the filter bar offers owners and channels by name, not ids and keys
    html = sales.get(BOARD).content.decode()
    assert f'<option value="{world.manager_alpha.pk}">manager@alpha.test</option>' in html
    assert '<option value="direct">' in html
    assert 'name="lost"' not in html  # the board shows open leads only


def test_a_column_shows_at_most_50_cards_and_links_to_the_rest(http_as, world, in_alpha):
    # given 52 open MQLs
    _many(world, 52, prefix="mql", stage_cycle=[Stage.MQL])
    # when the board is opened
    response = http_as(world.sales_alpha).get(BOARD)
    # then the column counts all 52 but shows 50 cards and a link to the two others in the list
    mql = next(c for c in response.context["columns"] if c.stage == Stage.MQL)
    assert (mql.count, len(mql.cards), mql.hidden) == (52, 50, 2)
    column = _column(response.content.decode(), "mql")
    assert column.count('data-testid="lead-card"') == 50
    assert 'href="/c/alpha/leads/list/?stage=mql&amp;lost=false"' in column
    # and that link lists them
    listed = http_as(world.sales_alpha).get("/c/alpha/leads/list/?stage=mql&lost=false")
    assert listed.context["page"].paginator.count == 52


# --- writes ----------------------------------------------------------------------------------------


def test_the_move_button_moves_the_lead_and_the_history_says_it_came_from_the_screens(http_as, world, in_alpha):
    # given an MQL on the board
    lead = LeadFactory(email="ann@example.test", stage=Stage.MQL)
    sales = http_as(world.sales_alpha)
    # when the sales person presses its "SQL →" button
    response = sales.post(f"/c/alpha/leads/{lead.pk}/move/", {"to": "sql", "next": BOARD + "?mine=false"})
    # then they are sent back to the board they were on (POST-redirect-GET)
    assert response.status_code == 302
    assert response["Location"] == BOARD + "?mine=false"
    # and the lead is an SQL, moved by them from the sales screens
    assert _fresh(lead).stage == Stage.SQL
    last = _history(lead)[-1]
    assert (last.kind, last.from_stage, last.to_stage) == (StageTransition.Kind.MOVED, Stage.MQL, Stage.SQL)
    assert (last.source, last.by_id) == (ChangeOrigin.UI, world.sales_alpha.pk)
    # and the board says so, with the card in its new column
    page = sales.get(response["Location"])
    assert any("SQL" in m for m in _messages(page))
    assert f'data-lead="{lead.pk}"' in _column(page.content.decode(), "sql")


def test_the_lead_page_moves_to_any_stage_with_a_reason_and_an_effective_time(http_as, world, in_alpha):
    lead = LeadFactory(created_at=timezone.now() - timedelta(days=10))
    # when the sales person moves it straight to customer, effective three days ago (client's local time)
    three_days_ago = timezone.localtime(
        timezone.now() - timedelta(days=3), timezone=zoneinfo.ZoneInfo(world.alpha.time_zone)
    )
    response = http_as(world.sales_alpha).post(
        f"/c/alpha/leads/{lead.pk}/move/",
        {"to": "customer", "reason": "Signed", "at": three_days_ago.strftime("%Y-%m-%dT%H:%M"), "next": _page(lead)},
    )
    assert response["Location"] == _page(lead)
    # then the lead is a customer since then, and every stage it skipped is reached then too
    fresh = _fresh(lead)
    assert fresh.stage == Stage.CUSTOMER
    expected = three_days_ago.replace(second=0, microsecond=0)
    assert fresh.customer_at == fresh.sql_at == fresh.mql_at == expected
    last = _history(lead)[-1]
    assert (last.reason, last.at, last.source) == ("Signed", expected, ChangeOrigin.UI)


def test_a_refused_change_is_a_message_and_nothing_changes(http_as, world, in_alpha):
    # given a lead, not lost
    lead = LeadFactory(email="ann@example.test", stage=Stage.MQL)
    sales = http_as(world.sales_alpha)
    sales.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are checked in English
    before = len(_history(lead))
    # when the sales person re-opens it although it is not lost
    response = sales.post(f"/c/alpha/leads/{lead.pk}/reopen/", {"next": _page(lead)}, follow=True)
    # then the lead page says why, instead of an error page
    assert response.status_code == 200
    assert response.redirect_chain == [(_page(lead), 302)]
    assert any("This lead is not lost." in m for m in _messages(response))
    assert "This lead is not lost." in response.content.decode()
    # when they move it with an effective time before the lead existed
    response = sales.post(
        f"/c/alpha/leads/{lead.pk}/move/", {"to": "sql", "at": "2001-01-01T10:00", "next": BOARD}, follow=True
    )
    # then the board says why
    assert response.status_code == 200
    assert response.redirect_chain == [(BOARD, 302)]
    assert any("before the lead was created" in m for m in _messages(response))
    # and nothing changed
    assert _fresh(lead).stage == Stage.MQL
    assert len(_history(lead)) == before


def test_an_invalid_form_is_a_message_too(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test")
    sales = http_as(world.sales_alpha)
    # an unknown stage, a loss without a reason, an empty note, an owner who may not own leads here
    for path, data in (
        ("move", {"to": "won"}),
        ("lost", {"reason": "  "}),
        ("notes", {"body": ""}),
        ("assign", {"owner": world.viewer_alpha.pk}),
    ):
        response = sales.post(f"/c/alpha/leads/{lead.pk}/{path}/", data, follow=True)
        assert response.status_code == 200, path
        assert response.redirect_chain == [(_page(lead), 302)], path
        assert any(level == "error" for level in (m.level_tag for m in response.context["messages"])), path
    fresh = _fresh(lead)
    assert (fresh.stage, fresh.is_lost, fresh.owner_id) == (Stage.LEAD, False, None)
    assert not LeadNote.objects.filter(lead=lead).exists()


def test_next_never_leaves_the_client(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test")
    sales = http_as(world.sales_alpha)
    for target in ("https://evil.example/", "//evil.example/c/alpha/", "/c/beta/leads/", "/accounts/logout/"):
        response = sales.post(f"/c/alpha/leads/{lead.pk}/move/", {"to": "mql", "next": target})
        assert response["Location"] == _page(lead), target
        sales.post(f"/c/alpha/leads/{lead.pk}/move/", {"to": "lead"})


def test_lost_reopen_notes_and_owner_from_the_lead_page(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test", stage=Stage.SQL)
    sales = http_as(world.sales_alpha)
    url = f"/c/alpha/leads/{lead.pk}"
    # when the sales person writes a note, takes the lead for the manager, marks it lost then re-opens it
    assert sales.post(f"{url}/notes/", {"body": "Called, asked for a quote."}).status_code == 302
    assert sales.post(f"{url}/assign/", {"owner": world.manager_alpha.pk}).status_code == 302
    assert sales.post(f"{url}/lost/", {"reason": "Went with a competitor"}).status_code == 302
    lost = _fresh(lead)
    assert (lost.is_lost, lost.lost_reason, lost.owner_id) == (True, "Went with a competitor", world.manager_alpha.pk)
    page = sales.get(_page(lead)).content.decode()
    assert 'data-testid="lost-notice"' in page and 'data-testid="reopen-form"' in page
    assert 'data-testid="lost-form"' not in page
    assert sales.post(f"{url}/reopen/", {"reason": "They came back"}).status_code == 302
    assert sales.post(f"{url}/assign/", {"owner": ""}).status_code == 302
    # then every change is in the history, from the sales screens, by them
    fresh = _fresh(lead)
    assert (fresh.is_lost, fresh.owner_id) == (False, None)
    entries = _history(lead)
    assert [e.kind for e in entries] == ["created", "assigned", "lost", "reopened", "assigned"]
    assert {(e.source, e.by_id) for e in entries[1:]} == {(ChangeOrigin.UI, world.sales_alpha.pk)}
    note = LeadNote.objects.get(lead=lead)
    assert (note.body, note.author_id) == ("Called, asked for a quote.", world.sales_alpha.pk)


# --- lead page -------------------------------------------------------------------------------------


def test_the_lead_page_shows_fields_attribution_reached_times_history_and_notes(http_as, world, in_alpha):
    created = timezone.now() - timedelta(days=5)
    lead = LeadFactory(
        first_name="Ann",
        last_name="Lee",
        company="Acme",
        job_title="CMO",
        created_at=created,
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="spring",
        keyword="Crm",
    )
    StageMoveFactory(lead=lead, to=Stage.MQL, at=created + timedelta(days=1), by=world.sales_alpha, reason="Demo")
    StageMoveFactory(lead=lead, to=Stage.SQL, by=world.manager_alpha, source=ChangeOrigin.UI)
    LeadNoteFactory(lead=lead, body="First call", by=world.sales_alpha)
    # when a sales person of the client opens the lead page
    response = http_as(world.sales_alpha).get(_page(lead))
    assert response.status_code == 200
    html = response.content.decode()
    # then it shows the contact, the attribution and the reached timestamps
    assert "Ann Lee" in html and "Acme" in html and "CMO" in html
    assert "newsletter" in html and "crm" in html
    assert [(stage, at is not None) for stage, at in response.context["reached"]] == [
        (Stage.LEAD, True),
        (Stage.MQL, True),
        (Stage.SQL, True),
        (Stage.CUSTOMER, False),
    ]
    # and the history, newest first, with who, where from and why
    history = response.context["lead"].history
    assert [(e.kind, e.from_stage, e.to_stage) for e in history] == [
        ("moved", "mql", "sql"),
        ("moved", "lead", "mql"),
        ("created", "", "lead"),
    ]
    timeline = re.search(r'data-testid="history".*?</ol>', html, re.S).group(0)
    lead_label, mql_label, sql_label = (_fr(s.label) for s in (Stage.LEAD, Stage.MQL, Stage.SQL))
    assert timeline.index(f"{mql_label} → {sql_label}") < timeline.index(f"{lead_label} → {mql_label}")
    assert "manager@alpha.test" in timeline and "Demo" in timeline
    assert f'data-testid="history-source">{_fr(ChangeOrigin.UI.label)}<' in timeline
    # and the notes
    assert "First call" in html


def test_the_owner_choices_are_the_people_who_may_write_in_this_client(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test")
    response = http_as(world.sales_alpha).get(_page(lead))
    form = response.context["assign_form"]
    offered = {value for value, _label in form.fields["owner"].choices if value != ""}
    # agency owner and staff, the client's manager and sales people; not viewers, nor other clients' people
    assert offered == {u.pk for u in (world.owner, world.staff, world.manager_alpha, world.sales_alpha)}


# --- list ------------------------------------------------------------------------------------------


def test_the_list_filters_with_lead_filter_orders_and_paginates(http_as, world, in_alpha):
    leads = _many(world, 53, prefix="list")
    sales = http_as(world.sales_alpha)
    # the first page holds 50 leads, the second the last 3
    first = sales.get(LIST)
    assert first.status_code == 200
    assert (first.context["page"].paginator.count, len(first.context["page"].object_list)) == (53, 50)
    assert 'data-testid="pager"' in first.content.decode()
    second = sales.get(LIST + "?page=2")
    assert len(second.context["page"].object_list) == 3
    # LeadFilter's filters apply: my leads, stage, text
    mine = sales.get(LIST + "?mine=true").context["page"].paginator.count
    assert mine == sum(1 for i in range(53) if i % 2)
    assert sales.get(LIST + "?stage=customer").context["page"].paginator.count == 13
    assert [lead.email for lead in sales.get(LIST + "?q=list7%40").context["page"].object_list] == [
        "list7@example.test"
    ]
    # ordering by deal value, both ways, and by pipeline stage rather than alphabetically
    by_value = sales.get(LIST + "?o=-value").context["page"].object_list
    assert by_value[0].pk == leads[52].pk
    assert sales.get(LIST + "?o=value").context["page"].object_list[0].pk == leads[0].pk
    by_stage = [lead.stage for lead in sales.get(LIST + "?o=stage&page=2").context["page"].object_list]
    assert by_stage == [Stage.CUSTOMER] * 3
    # an unknown ordering falls back to the newest first
    assert sales.get(LIST + "?o=password").context["ordering"] == "-created"
    # sorting keeps the filters in the links
    html = sales.get(LIST + "?mine=true&o=name").content.decode()
    assert 'href="?mine=true&amp;o=-score"' in html and 'href="?mine=true&amp;o=-name"' in html


# --- who may do what -------------------------------------------------------------------------------


def test_a_viewer_sees_the_dashboard_only_never_the_sales_screens(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test", stage=Stage.MQL)
    viewer = http_as(world.viewer_alpha)
    before = len(_history(lead))
    # when the viewer opens the board, the list and the lead page
    for path in (BOARD, LIST, _page(lead)):
        response = viewer.get(path)
        # then it is forbidden, and shows nothing of the lead
        assert response.status_code == 403, path
        assert "ann@example.test" not in response.content.decode(), path
    # when the viewer posts anyway, to every write of the sales screens
    for path, data in (
        ("move", {"to": "sql"}),
        ("lost", {"reason": "x"}),
        ("reopen", {}),
        ("assign", {"owner": world.viewer_alpha.pk}),
        ("notes", {"body": "hello"}),
    ):
        # then it is forbidden
        assert viewer.post(f"/c/alpha/leads/{lead.pk}/{path}/", data).status_code == 403, path
    # and nothing changed
    fresh = _fresh(lead)
    assert (fresh.stage, fresh.is_lost, fresh.owner_id) == (Stage.MQL, False, None)
    assert len(_history(lead)) == before
    assert not LeadNote.objects.filter(lead=lead).exists()


def test_people_of_other_clients_get_404_and_change_nothing(http_as, world, in_alpha):
    lead = LeadFactory(email="ann@example.test", stage=Stage.MQL)
    for user in (world.viewer_beta, world.other_owner, world.outsider):
        browser = http_as(user)
        for path in (BOARD, LIST, _page(lead)):
            assert browser.get(path).status_code == 404, (user, path)
        assert browser.post(f"/c/alpha/leads/{lead.pk}/move/", {"to": "sql"}).status_code == 404, user
    assert _fresh(lead).stage == Stage.MQL
    # and the agency owner, who may enter beta, does not find alpha's lead there
    assert http_as(world.owner).get(f"/c/beta/leads/{lead.pk}/").status_code == 404
    assert http_as(world.owner).post(f"/c/beta/leads/{lead.pk}/move/", {"to": "sql"}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(http_as, world):
    response = http_as(None).get(BOARD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/c/alpha/leads/"


def test_the_header_links_to_the_pipeline_for_the_team_but_not_for_viewers(http_as, world):
    html = http_as(world.sales_alpha).get("/c/alpha/").content.decode()
    assert 'data-testid="pipeline-link"' in html
    assert html.count('href="/c/alpha/leads/"') == 1
    assert 'href="/c/alpha/leads/"' not in http_as(world.viewer_alpha).get("/c/alpha/").content.decode()


# --- queries ---------------------------------------------------------------------------------------


def _queries(browser, path: str) -> tuple[int, int]:
    """(statements, statements other than django-tenants' ``SET search_path``) of one request."""
    browser.get(path)  # warm up: the language cookie, the session
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path)
    assert response.status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    return len(statements), sum(1 for sql in statements if not sql.startswith("SET search_path"))


def _with_history(world, leads: list[Lead]) -> None:
    for lead in leads:
        LeadNoteFactory(lead=lead, body="note", by=world.sales_alpha)
        StageMoveFactory(lead=lead.pk, to=Stage.CUSTOMER, by=world.manager_alpha, source=ChangeOrigin.UI)


def test_the_pages_run_the_same_number_of_queries_for_3_and_for_30_leads(http_as, world, in_alpha):
    sales = http_as(world.sales_alpha)
    few = _many(world, 3, prefix="few")
    _with_history(world, few)
    page = _page(few[0])
    counts_few = {path: _queries(sales, path) for path in (BOARD, BOARD + "?mine=true&q=first", LIST, page)}
    # given ten times more leads, each with notes and history, and a longer history on the first one
    more = _many(world, 27, prefix="more")
    _with_history(world, more)
    for _ in range(27):
        LeadNoteFactory(lead=few[0], body="again", by=world.manager_alpha)
        StageMoveFactory(lead=few[0].pk, to=Stage.SQL, by=world.sales_alpha, source=ChangeOrigin.UI, kind="regression")
        StageMoveFactory(lead=few[0].pk, to=Stage.CUSTOMER, by=world.manager_alpha, source=ChangeOrigin.UI)
    counts_many = {path: _queries(sales, path) for path in counts_few}
    # then every page runs exactly as many queries
    assert counts_many == counts_few
    # and few of them: routing, session, user and access take 4; the board 4 more (owners, filter
    # choices, counts and sums, cards), the list 5 (owners, filter choices, count, page) and the
    # lead page 4 (lead, history, notes, owners)
    assert {path: real for path, (_total, real) in counts_few.items()} == {
        BOARD: 8,
        BOARD + "?mine=true&q=first": 8,
        LIST: 8,
        page: 8,
    }, counts_few
