"""Benchmark: how fast a client's dashboard paints in a real browser, on the demo data.

    .venv/bin/python bench/first_paint.py [--loads 5]

Creates a throw-away database (on DATABASE_URL's server, else the embedded PostgreSQL), migrates it,
seeds the demo agency (``demo_seed``), serves Pouls with gunicorn (2 sync workers, production
settings, 127.0.0.1 only; plain HTTP, so cookies without the Secure flag) and drives Debian's
chromium with Playwright: the viewer of Atelier Sillon signs in, then loads their dashboard once to
warm up and ``--loads`` more times. Prints each load's navigation timing (first contentful paint,
response end, DOMContentLoaded, load, the charts API request) and their medians. The browser test
(tests/test_dashboard_browser.py) checks the same page works; the figure lives here because a
shared machine's timings do not belong in a pass/fail test.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from harness import ROOT, django_on_throwaway_database, free_port, machine, server_env, start_gunicorn, stop

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from tests.browser import CHROMIUM_ARGS, DASHBOARD_TIMING_JS  # the browser test's own settings

SLUG = "atelier-sillon"
VIEWER = "lecture@atelier-sillon.fr"
COLUMNS = {
    "first_contentful_paint_ms": "first paint",
    "response_end_ms": "response end",
    "dom_content_loaded_ms": "DOMContentLoaded",
    "load_ms": "load",
    "charts_api_ms": "charts API request",
}


def measure(base_url: str, loads: int, password: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(base_url=base_url, locale="fr-FR").new_page()
            page.goto("/")
            page.fill("#id_username", VIEWER)
            page.fill("#id_password", password)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"**/c/{SLUG}/")
            runs = []
            for _ in range(loads + 1):  # the first one warms up
                page.goto(f"/c/{SLUG}/")
                page.wait_for_selector("#dashboard[data-loaded=true]")
                runs.append(page.evaluate(DASHBOARD_TIMING_JS))
            return runs[1:]
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    options = parser.parse_args()
    load_before = machine()
    url, drop = django_on_throwaway_database("pouls_bench_first_paint")
    from django.core.management import call_command
    from django.db import connections
    from load import static_manifest_is_stale

    from demo.seed import DEMO_PASSWORD

    gunicorn = None
    work = tempfile.TemporaryDirectory(prefix="pouls-bench-first-paint-")
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("demo_seed", stdout=io.StringIO())
        if static_manifest_is_stale():
            print("collecting static files (the pages need their manifest)…", flush=True)
            call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()
        port = free_port()
        env = server_env(url, DJANGO_SECURE_COOKIES="false")
        gunicorn = start_gunicorn(port, env, Path(work.name) / "gunicorn.log")
        runs = measure(f"http://127.0.0.1:{port}", options.loads, DEMO_PASSWORD)

        print(f"{load_before}; gunicorn 2 sync workers, production settings; Debian's chromium, headless")
        print(f"/c/{SLUG}/ as its viewer, {options.loads} loads after a warm-up, in ms:")
        print(f"{'':8}" + "".join(f"{label:>20}" for label in COLUMNS.values()))
        for number, run in enumerate(runs, start=1):
            print(f"{'load ' + str(number):8}" + "".join(f"{run[key]:20.0f}" for key in COLUMNS))
        print(f"{'median':8}" + "".join(f"{statistics.median(run[key] for run in runs):20.0f}" for key in COLUMNS))
    finally:
        stop(gunicorn)
        connections.close_all()
        drop()
        work.cleanup()


if __name__ == "__main__":
    main()
