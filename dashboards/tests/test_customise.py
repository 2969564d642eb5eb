"""Pinned cards (the client's default, one person's own) and the agency's branding."""

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from dashboards.models import Branding, PinnedCards

PAGE = "/c/alpha/"
PINNED = "/c/alpha/dashboard/pinned/"
BRANDING = "/c/alpha/dashboard/branding/"


def png(width: int = 2, height: int = 1) -> bytes:
    """A real, tiny PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x0a\x7d\x5a" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _pinned_order(html: str) -> list[str]:
    start = html.index('data-section="pinned"')
    section = html[start : html.index("</section>", start)]
    return [part.split('"', 1)[0] for part in section.split('data-kpi="')[1:]]


def test_a_manager_pins_cards_for_everyone_and_a_sales_person_overrides_them_for_himself(http_as, world):
    manager, sales, viewer = (http_as(u) for u in (world.manager_alpha, world.sales_alpha, world.viewer_alpha))
    assert _pinned_order(viewer.get(PAGE).content.decode()) == [
        "leads",
        "cost_per_lead",
        "lead_to_customer_rate",
        "mqls",
    ]
    # when the manager pins MQLs first, then visits, for everyone
    response = manager.post(
        PINNED, {"scope": "client", "kpis": ["visits", "mqls"], "position_mqls": "1", "position_visits": "2"}
    )
    assert response.status_code == 302
    assert _pinned_order(viewer.get(PAGE).content.decode()) == ["mqls", "visits"]
    # and the sales person pins spend for himself only
    sales.post(PINNED, {"scope": "me", "kpis": ["spend"]})
    assert _pinned_order(sales.get(PAGE).content.decode()) == ["spend"]
    assert _pinned_order(viewer.get(PAGE).content.decode()) == ["mqls", "visits"]
    # then back to the client's default
    sales.post(PINNED, {"scope": "me", "action": "reset"})
    assert _pinned_order(sales.get(PAGE).content.decode()) == ["mqls", "visits"]


def test_pinned_cards_are_validated_and_guarded(http_as, world, in_alpha):
    sales = http_as(world.sales_alpha)
    odd = sales.post(
        PINNED, {"scope": "me", "kpis": ["spend", "visits"], "position_spend": "²", "position_visits": "9" * 5000}
    )
    assert odd.status_code == 302  # odd positions go last, never a 500
    assert _pinned_order(sales.get(PAGE).content.decode()) == ["spend", "visits"]
    sales.post(PINNED, {"scope": "me", "action": "reset"})
    sales.post(PINNED, {"scope": "client", "kpis": ["spend"]})  # not a manager: refused
    sales.post(PINNED, {"scope": "me", "kpis": ["keyword_visits"]})  # no card of its own: refused
    assert http_as(world.viewer_alpha).post(PINNED, {"scope": "me", "kpis": ["spend"]}).status_code == 403
    assert not PinnedCards.objects.exists()
    page = sales.get(PAGE).content.decode()
    assert 'value="client"' not in page and 'data-testid="customise"' in page
    assert 'data-testid="customise"' not in http_as(world.viewer_alpha).get(PAGE).content.decode()


def test_the_agency_brands_a_clients_dashboard(http_as, world):
    owner = http_as(world.owner)
    response = owner.post(BRANDING, {"color": "#0A7D5A", "logo": SimpleUploadedFile("logo.png", png())})
    assert response.status_code == 302
    page = http_as(world.viewer_alpha).get(PAGE).content.decode()
    assert 'data-testid="brand-logo"' in page and "/c/alpha/dashboard/brand.css" in page
    logo = http_as(world.viewer_alpha).get("/c/alpha/dashboard/logo")
    assert (logo["Content-Type"], logo.content) == ("image/png", png())
    css = http_as(world.viewer_alpha).get("/c/alpha/dashboard/brand.css")
    assert css.content.decode() == ":root { --brand: #0a7d5a; }\n"
    # another client keeps Pouls' look
    assert "brand.css" not in http_as(world.owner).get("/c/beta/").content.decode()
    assert http_as(world.viewer_beta).get("/c/beta/dashboard/logo").status_code == 404


def test_branding_refuses_bad_files_and_people_outside_the_agency(http_as, world):
    owner = http_as(world.owner)
    svg = SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    response = owner.post(BRANDING, {"color": "", "logo": svg})
    assert response.status_code == 400 and "PNG" in response.content.decode()
    assert owner.post(BRANDING, {"color": "red"}).status_code == 400
    big = SimpleUploadedFile("big.png", png() + b"\x00" * 210_000)
    assert owner.post(BRANDING, {"color": "", "logo": big}).status_code == 400
    assert not Branding.objects.filter(client=world.alpha).exclude(logo=None).exists()
    for user in (world.manager_alpha, world.sales_alpha, world.viewer_alpha, world.other_owner):
        assert http_as(user).get(BRANDING).status_code == 404, user
