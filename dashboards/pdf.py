"""A client report as a PDF: its print view (:mod:`dashboards.report_print`) printed by headless
chromium, the browser the dashboard's charts are drawn for, so the PDF's numbers and Chart.js charts
are the screen's. The page is written to a temporary file and printed from there: it needs no server,
no network and no session, which is what a Celery worker has.

Each print gets its own temporary profile (chromium refuses to share one between processes and
would keep cookies and caches across clients) and is killed past ``POULS_PDF_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from django.conf import settings

from dashboards.report_print import report_html

# How long, in virtual time, the page may run its scripts before printing. The charts are drawn on
# load from inline data (no fetch, no animation): this is slack, not a wait.
VIRTUAL_TIME_BUDGET_MS = 5000
STDERR_TAIL = 2000  # characters of chromium's stderr kept in the error


class PdfRenderError(RuntimeError):
    """Chromium could not print the page: missing, failed, timed out or wrote no PDF."""


def _chromium() -> str:
    name = settings.POULS_CHROMIUM
    found = shutil.which(name)
    if not found:
        raise PdfRenderError(f"Chromium not found: {name!r} (set POULS_CHROMIUM to its path).")
    return found


def _tail(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")[-STDERR_TAIL:].strip()


def html_to_pdf(html: str) -> bytes:
    """``html`` (a self-contained page) printed to A4 PDF by headless chromium."""
    binary = _chromium()
    timeout = settings.POULS_PDF_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="pouls-pdf-") as work:
        page, output, profile = Path(work) / "report.html", Path(work) / "report.pdf", Path(work) / "profile"
        page.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--no-sandbox",  # workers run in containers without user namespaces
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            f"--print-to-pdf={output}",
            page.as_uri(),
        ]
        # Its own session, so that a timeout kills chromium's helper processes too, not only the first.
        process = subprocess.Popen(  # noqa: S603 - a fixed command line: the binary and our own files
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "HOME": work},  # chromium writes under $HOME: keep it in the temporary dir
        )
        try:
            _out, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            _kill(process)
            _out, stderr = process.communicate()
            raise PdfRenderError(
                f"Chromium did not print the report within {timeout} s and was stopped. {_tail(stderr)}"
            ) from error
        if process.returncode != 0:
            raise PdfRenderError(f"Chromium failed (exit code {process.returncode}). {_tail(stderr)}")
        if not output.exists() or output.stat().st_size == 0:
            raise PdfRenderError(f"Chromium wrote no PDF. {_tail(stderr)}")
        pdf = output.read_bytes()
    if not pdf.startswith(b"%PDF"):
        raise PdfRenderError("Chromium wrote a file that is not a PDF.")
    return pdf


def _kill(process: subprocess.Popen) -> None:
    """The process group chromium leads (its own session): every helper process with it."""
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(process.pid, signal.SIGKILL)


def report_pdf(*, period_start: date, period_end: date, language: str, sections: list[str]) -> bytes:
    """The current client's report (``connection.tenant``) for one complete week or month, as PDF."""
    return html_to_pdf(
        report_html(period_start=period_start, period_end=period_end, language=language, sections=sections)
    )
