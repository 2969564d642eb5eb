"""What the benchmarks share: a throw-away database, gunicorn on loopback with production settings,
percentiles, and stopping every child process however the benchmark ends.

Imported by the scripts of this folder (``python bench/<script>.py`` puts bench/ on the path); it
never imports Django at module level, so a sender process can use it too.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # every benchmark serves on loopback only
# As `make demo` serves: sync workers, recycled after a bounded number of requests (with jitter so
# they do not all restart at once).
GUNICORN_FLAGS = ["--max-requests", "1000", "--max-requests-jitter", "100"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def throwaway_database(prefix: str) -> tuple[str, Callable[[], None]]:
    """A new database ``<prefix>_<pid>_<time>`` (on DATABASE_URL's server, else the embedded one): its
    URL, and how to drop it."""
    import psycopg

    from config.database import embedded_database_url

    name = f"{prefix}_{os.getpid()}_{int(time.time())}"
    server = os.environ.get("DATABASE_URL") or embedded_database_url("postgres")
    admin = with_database(server, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return with_database(server, name), drop


def server_env(database_url: str, *, conn_max_age: int = 60, **extra: str) -> dict[str, str]:
    """The environment of a gunicorn serving ``database_url`` with production settings, plain HTTP on
    loopback behind one (simulated) trusted proxy: callers set X-Forwarded-For to stand for their
    visitors, so per-address limits see an audience rather than one address."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": HOST,
        # In the URL: the DATABASE_CONN_MAX_AGE setting never reaches DATABASES.
        "DATABASE_URL": with_query(database_url, conn_max_age=conn_max_age),
        "POULS_TRUSTED_PROXY_COUNT": "1",
        # Plain HTTP on loopback stands for the hop behind a TLS-terminating proxy.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def start_gunicorn(
    port: int,
    env: dict,
    log: Path,
    *,
    workers: int = 2,
    access_log: bool = False,
    recycle: bool = True,
    config: Path | None = None,
) -> subprocess.Popen:
    """gunicorn on HOST:port (its own process group, so ``stop`` takes its workers too); waits until it
    answers. The log gets its errors (and every request with ``access_log``). ``recycle=False`` keeps
    the same workers for the whole run; ``config`` is a gunicorn config file (server hooks)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        *(GUNICORN_FLAGS if recycle else []),
        "--log-level",
        "warning",
        *(["--access-logfile", "-"] if access_log else []),
        *(["--config", str(config)] if config else []),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/accounts/login/")
            connection.getresponse()
            connection.close()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """Stop a child started in its own process group (SIGTERM, then SIGKILL), and its children."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so the benchmark's ``finally`` stops its children and drops its
    database (Ctrl-C already does, as KeyboardInterrupt)."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def django_on_throwaway_database(prefix: str) -> tuple[str, Callable[[], None]]:
    """How a benchmark that serves Pouls starts: SIGTERM stops it cleanly (``exit_on_sigterm``), a new
    database (``throwaway_database``) becomes this process's DATABASE_URL, and Django is set up on it.
    Returns the database's URL and how to drop it."""
    exit_on_sigterm()
    url, drop = throwaway_database(prefix)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    return url, drop


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def machine() -> str:
    """What the figures were measured on (the load average says whether other work shared it)."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs (load average {load} before the run)"
