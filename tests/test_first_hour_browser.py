"""What a French or English agency sees in its first hour, in a real browser on the demo (issue 14):
sparkline markers drawn on their line (not in the corner, as when French markup wrote cx="65,5"), a
client's Swagger UI whose "Try it out" answers 200 from the client's own API, and 404 pages in Pouls'
look and the person's language. Screenshots go to artifacts/first-hour/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from demo.seed import DEMO_CLIENTS
from tests import first_hour
from tests.first_hour import AGENCY_OWNER, DESKTOP, LANGUAGES, VIEWER, VIEWER_SLUG, log_in, shot, shot_of

demo_server, new_page = first_hour.demo_server, first_hour.new_page  # the module's fixtures

# Every anomaly marker of every sparkline on the page, with where the browser drew it: the centre of its
# box, its line's box, and how far it is from the nearest point of the line (a marker marks one of them).
MARKERS_JS = """() => [...document.querySelectorAll('svg.sparkline')].flatMap(svg => {
    const line = svg.querySelector('polyline');
    const box = line.getBoundingClientRect();
    const toScreen = line.getScreenCTM();
    const points = [...line.points].map(p => p.matrixTransform(toScreen));
    return [...svg.querySelectorAll('circle.spark-anomaly')].map(circle => {
        const drawn = circle.getBoundingClientRect();
        const x = drawn.left + drawn.width / 2, y = drawn.top + drawn.height / 2;
        return {cx: circle.getAttribute('cx'), cy: circle.getAttribute('cy'), x: x, y: y,
                line: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
                from_line: Math.min(...points.map(p => Math.hypot(p.x - x, p.y - y)))};
    });
})"""
DEMO_SLUGS = [c.slug for c in DEMO_CLIENTS]
NEAR = 0.5  # px: rounding of the drawn boxes
NOT_FOUND = {"fr": ("Page introuvable", "Retour à l'accueil"), "en": ("Page not found", "Back to the home page")}


def _assert_on_their_line(markers: list[dict], where: str) -> None:
    for marker in markers:
        line = marker["line"]
        assert "," not in marker["cx"] + marker["cy"], (where, marker)  # numbers in markup are never localised
        assert line["left"] - NEAR <= marker["x"] <= line["right"] + NEAR, (where, marker)
        assert line["top"] - NEAR <= marker["y"] <= line["bottom"] + NEAR, (where, marker)
        assert marker["from_line"] <= 1, (where, marker)


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_sparkline_markers_sit_on_their_line(new_page, language):
    page = new_page()
    page.set_viewport_size(DESKTOP)
    log_in(page, AGENCY_OWNER, language)
    page.wait_for_selector("[data-testid=portfolio]")
    on_portfolio = page.evaluate(MARKERS_JS)
    _assert_on_their_line(on_portfolio, f"{language} portfolio")
    shot(page, f"{language}-sparklines-portfolio")

    on_dashboards = 0
    for slug in DEMO_SLUGS:
        page.goto(f"/c/{slug}/")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        markers = page.evaluate(MARKERS_JS)
        _assert_on_their_line(markers, f"{language} dashboard of {slug}")
        if markers and not on_dashboards:
            marked = page.locator(".kpi-card", has=page.locator("circle.spark-anomaly")).first
            shot_of(marked, f"{language}-sparkline-marker")
            shot(page, f"{language}-sparklines-dashboard")
        on_dashboards += len(markers)
    # the demo's months have anomalies: dashboards without a marker would prove nothing
    assert on_dashboards >= 1, "no anomaly marker on any demo dashboard's sparklines"
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_swagger_try_it_out_answers_200_from_the_clients_api(new_page, demo_server, language):
    page = new_page()
    page.set_viewport_size(DESKTOP)
    log_in(page, VIEWER, language)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"/c/{VIEWER_SLUG}/api/v1/docs/")
    kpis = page.locator(".opblock.opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/api/v1/kpis/"]')
    )
    # Swagger UI renders a long document's operations as they scroll into view (virtualised lists)
    page.locator(".opblock-tag").first.wait_for()
    for _ in range(60):
        if kpis.count():
            break
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(100)
    kpis.locator(".opblock-summary-control").click()
    kpis.locator("button.try-out__btn").click()
    kpis.locator("button.execute").click()
    status = kpis.locator(".live-responses-table .response .response-col_status")
    status.wait_for()
    # the call went to the client's own API (the document's server, /c/<slug>, joined with the path)
    request_url = kpis.locator(".request-url pre").inner_text()
    assert urlsplit(request_url).path == f"/c/{VIEWER_SLUG}/api/v1/kpis/", request_url
    assert status.inner_text().strip() == "200"
    shot(page, f"{language}-swagger-try-it-out")
    # Swagger UI comes from our own static files (drf-spectacular-sidecar): nothing from another origin
    assert requested and all(url.startswith(demo_server) for url in requested), requested
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requested)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", [f"/c/{VIEWER_SLUG}/does-not-exist/", "/does-not-exist/"])
def test_a_404_page_in_pouls_look_and_the_persons_language(new_page, language, path):
    page = new_page()
    page.set_viewport_size(DESKTOP)
    log_in(page, VIEWER, language)
    response = page.goto(path)
    assert response.status == 404
    heading, home = NOT_FOUND[language]
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("header.topbar .brand").inner_text() == "Pouls"
    assert page.locator("[data-testid=error-page] h1").inner_text() == heading
    assert page.title() == f"{heading} · Pouls"
    link = page.locator("[data-testid=error-home]")
    assert link.inner_text() == home and link.get_attribute("href") == "/"
    where = "client" if path.startswith("/c/") else "top"
    shot(page, f"{language}-404-{where}")
    # and the link leads home: the viewer's dashboard
    link.click()
    page.wait_for_url(f"**/c/{VIEWER_SLUG}/")
    page.context.close()
