"""The dashboard's report actions (issue 16, "Preview and send now from the dashboard"): the client's
team sees a link to the reports page and one to this month's report print view; viewers and shared
pages do not; the links carry no script (the page's policy stays as it is)."""

import re

from django.utils import timezone

from tenants.zones import client_zone

PRINT = re.compile(r'href="(/c/alpha/report-print/\?start=[^"]+)"[^>]*data-testid="report-print-link"')


def test_the_team_sees_the_report_actions_and_viewers_do_not(http_as, world, in_alpha):
    for person in (world.owner, world.manager_alpha, world.sales_alpha):
        page = http_as(person).get("/c/alpha/").content.decode()
        assert 'href="/c/alpha/reports/" data-testid="reports-action"' in page
        assert PRINT.search(page), person.email
    viewer = http_as(world.viewer_alpha).get("/c/alpha/").content.decode()
    assert 'data-testid="reports-action"' not in viewer and 'data-testid="report-print-link"' not in viewer


def test_the_print_link_opens_this_months_report(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    link = PRINT.search(browser.get("/c/alpha/").content.decode()).group(1).replace("&amp;", "&")
    today = timezone.localdate(timezone=client_zone(world.alpha))  # the month as the client's zone has it
    assert f"start={today:%Y-%m}-01&end={today:%Y-%m}-" in link
    shown = browser.get(link)
    assert shown.status_code == 200 and shown["Content-Type"].startswith("text/html")
    assert 'data-testid="report-cover"' in shown.content.decode()
