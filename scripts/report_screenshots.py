"""Screenshots of a client report's PDF for the README and reviews: renders the report of a demo client
(default: Maison Lumière, last complete month, French, every section) with ``dashboards.pdf.report_pdf``
and writes ``artifacts/report.pdf`` and its pages as ``artifacts/report-page-1.png``, ``-2.png``…
(``pdftoppm -r 80``).

Run it on a database seeded by the demo (``manage.py migrate`` then ``manage.py demo_seed``):

    DATABASE_URL=postgres://…/pouls_demo .venv/bin/python scripts/report_screenshots.py [--slug SLUG]
        [--month YYYY-MM] [--language fr|en]

A demo client without branding gets the demo agency's (a colour and a logo drawn by chromium), so the
screenshots show a branded report as an agency would send it; ``--no-brand`` leaves the client as it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
ARTIFACTS = ROOT / "artifacts"
DEMO_COLOR = "#0f5e8c"
# The demo agency's logo: a wordmark drawn by chromium into a PNG (the logo field takes PNG or JPEG).
LOGO_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: transparent; }
.logo { display: flex; align-items: center; gap: 14px; padding: 8px 14px; font: 700 34px/1 "DejaVu Sans", sans-serif;
        color: #0f5e8c; }
.mark { width: 52px; height: 52px; border-radius: 14px; background: linear-gradient(135deg, #0f5e8c, #38bdf8);
        color: #fff; display: grid; place-items: center; font-size: 30px; }
small { display: block; font: 600 13px/1.2 "DejaVu Sans", sans-serif; color: #64748b; letter-spacing: .12em; }
</style></head><body>
<div class="logo"><div class="mark">A</div><div>Agence Démo<small>MARKETING DIGITAL</small></div></div>
</body></html>"""


def _logo_png() -> bytes:
    from django.conf import settings

    with tempfile.TemporaryDirectory() as work:
        page, png = Path(work) / "logo.html", Path(work) / "logo.png"
        page.write_text(LOGO_HTML, encoding="utf-8")
        subprocess.run(  # noqa: S603 - fixed command line
            [
                shutil.which(settings.POULS_CHROMIUM) or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={work}/profile",
                "--default-background-color=00000000",
                "--window-size=380,72",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return png.read_bytes()


def _last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slug", default="maison-lumiere")
    parser.add_argument("--month", help="YYYY-MM (default: the client's last complete month)")
    parser.add_argument("--language", default="fr", choices=["fr", "en"])
    parser.add_argument("--no-brand", action="store_true", help="leave the client's branding as it is")
    args = parser.parse_args()

    import django

    django.setup()
    from django_tenants.utils import tenant_context

    from dashboards.models import Branding
    from dashboards.pdf import report_pdf
    from dashboards.report_sections import DEFAULT_REPORT_SECTIONS
    from dashboards.services import branding_save
    from kpis.selectors import local_today
    from tenants.models import Client

    client = Client.objects.get(slug=args.slug)
    if not args.no_brand and not Branding.objects.filter(client=client).exists():
        branding_save(client=client, color=DEMO_COLOR, logo=_logo_png())
        print(f"{client.name}: the demo agency's branding set ({DEMO_COLOR} and a logo).")
    with tenant_context(client):
        if args.month:
            start = date.fromisoformat(f"{args.month}-01")
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            start, end = _last_month(local_today())
        pdf = report_pdf(period_start=start, period_end=end, language=args.language, sections=DEFAULT_REPORT_SECTIONS)
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("report-page-*.png"):
        old.unlink()
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        raise SystemExit("pdftoppm not found: apt-get install poppler-utils")
    subprocess.run(  # noqa: S603 - fixed command line
        [pdftoppm, "-r", "80", "-png", str(ARTIFACTS / "report.pdf"), str(ARTIFACTS / "report-page")], check=True
    )
    # pdftoppm numbers pages with as many digits as the last one needs (report-page-01.png past 9 pages).
    pages = sorted(ARTIFACTS.glob("report-page-*.png"))
    for path in pages:
        number = int(path.stem.rsplit("-", 1)[1])
        path.rename(ARTIFACTS / f"report-page-{number}.png")
    print(f"{client.name}, {start} – {end}: artifacts/report.pdf and {len(pages)} pages as artifacts/report-page-N.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
