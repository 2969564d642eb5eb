"""`make demo`'s runner end to end: it migrates, seeds, serves web + worker + beat, and Ctrl-C
stops every process it started."""

import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from tests.processes import ROOT, child_env, free_port

pytestmark = pytest.mark.worker


def _wait_for_line(process: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed; output:\n{''.join(lines)[-4000:]}")


def test_the_demo_serves_the_login_page_prints_the_logins_and_stops_on_ctrl_c(django_db_setup):
    port = free_port()
    env = {**child_env(), "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEMO_PORT": str(port)}
    demo = subprocess.Popen(
        [sys.executable, "scripts/demo.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = "".join(_wait_for_line(demo, "password for every login", timeout=240))
        assert f"http://localhost:{port}/" in output
        assert "direction@agence-demo.fr" in output and "lecture@velo-nord.fr" in output
        children = psutil.Process(demo.pid).children(recursive=True)
        assert len(children) >= 3  # gunicorn, celery worker, celery beat (and their workers)
        page = None
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert page is not None and "Se connecter à Pouls" in page
    finally:
        # when Ctrl-C reaches the runner
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)
    # then none of the processes it started is left
    time.sleep(0.5)
    assert [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
