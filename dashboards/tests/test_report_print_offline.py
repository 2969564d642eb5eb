"""The report's print view is printed by chromium from a file, where no HTTP header applies: the page
carries its policy itself (a meta element), so whatever might slip into it (an image, a script)
cannot make the worker's browser reach the network (an internal address, a metadata service)."""

from datetime import date

from dashboards.pdf import html_to_pdf
from dashboards.report_print import report_html, report_page
from tests.receivers import http_receiver

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31), "language": "fr", "sections": []}


def test_the_printed_page_reaches_no_network(world, in_alpha):
    page = report_page(**MARCH)
    header = page.policy.split("; ")
    meta = [d for d in header if not d.startswith("frame-ancestors")]
    assert f'<meta http-equiv="Content-Security-Policy" content="{"; ".join(meta)}"'.replace("'", "&#x27;") in page.html
    with http_receiver() as receiver:
        # as if something had been injected into the page: an image and a script from elsewhere
        injected = f'<img src="{receiver.base_url}/leak.png"><script src="{receiver.base_url}/x.js"></script>'
        body = '<body class="report-print">'
        html = report_html(**MARCH).replace(body, body + injected, 1)
        assert receiver.base_url in html
        pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert receiver.requests == []
