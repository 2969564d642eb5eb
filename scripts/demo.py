"""`make demo`: database, migrations, demo data, then web + worker + beat until Ctrl-C.

Uses DATABASE_URL when set; otherwise this process starts the embedded PostgreSQL, hands its URL
to the children and stops it on exit. Re-running reuses the data and
catches it up to the moment it runs (demo.seed).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# The demo's alert webhooks may target a receiver on this machine (docs/alerts.md); its reports and
# alerts are written to the console unless EMAIL_URL says otherwise.
os.environ.setdefault("POULS_WEBHOOK_ALLOW_PRIVATE", "true")
os.environ.setdefault("EMAIL_URL", "consolemail://")


def main() -> int:
    from config.database import create_database_if_missing

    if os.environ.get("DATABASE_URL"):
        create_database_if_missing(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from config.database import url_for_settings
    from demo.seed import DEMO_LOGINS, DEMO_PASSWORD

    port = int(os.environ.get("DEMO_PORT", "8000"))
    print("Pouls demo: migrating…", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    print("Pouls demo: seeding the demo agency…", flush=True)
    call_command("demo_seed", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)

    # The demo is what a visitor sees: no debug pages (a 404 would list every URL pattern). Static
    # files then come from the collectstatic above, through whitenoise.
    env = {
        **os.environ,
        "DATABASE_URL": url_for_settings(settings.DATABASES["default"]),
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "false"),  # DJANGO_DEBUG=true brings them back
        "PYTHONUNBUFFERED": "1",
    }
    bin_dir = Path(sys.executable).parent
    commands = {
        "web": [
            str(bin_dir / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"0.0.0.0:{port}",
            "--workers",
            "2",
            # A safety net against any slow growth of a worker: each is replaced after ~1,000 requests
            # (the jitter keeps the two from restarting at once).
            "--max-requests",
            "1000",
            "--max-requests-jitter",
            "100",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        "worker": [str(bin_dir / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [str(bin_dir / "celery"), "-A", "config", "beat", "--loglevel", "INFO"],
    }
    # Own sessions: Ctrl-C reaches only this process, which then stops the children in order.
    children = {name: subprocess.Popen(cmd, env=env, start_new_session=True) for name, cmd in commands.items()}  # noqa: S603

    width = max(len(login.email) for login in DEMO_LOGINS)
    print(f"\nPouls is running on http://localhost:{port}/  (web, worker and beat; Ctrl-C stops everything)\n")
    print(f"  {'login':{width}}  role     scope")
    for login in DEMO_LOGINS:
        print(f"  {login.email:{width}}  {login.role:7}  {login.scope}")
    print(f"\n  password for every login: {DEMO_PASSWORD}\n", flush=True)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"Pouls demo: {name} exited with status {child.returncode}; stopping.", file=sys.stderr)
                stopping, exit_code = True, 1
        time.sleep(0.5)

    print("\nPouls demo: stopping web, worker and beat…", flush=True)
    for child in children.values():
        if child.poll() is None:
            child.terminate()  # each stops its own workers (gunicorn, celery: warm shutdown)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
