"""One refresh at a time per client, and the mark a write leaves when it finds the refresh running."""

from __future__ import annotations

# A DirtyDay source (no day) that asks the next refresh to re-apply every target and status.
TARGETS_MARK = "targets"


def refresh_lock(cursor, *, wait: bool) -> bool:
    """The current client's refresh lock, until the transaction ends: one refresh at a time, and
    no write to snapshots from elsewhere (objectives, settings) during a refresh (whose merges
    address rows by their physical place): those try it and, when it is taken, leave a
    ``TARGETS_MARK`` for the next refresh instead of waiting. Without ``wait``, False when taken."""
    key = "hashtext('pouls.kpi_refresh'), hashtext(current_schema())"
    if wait:
        cursor.execute(f"SELECT pg_advisory_xact_lock({key})")
        return True
    cursor.execute(f"SELECT pg_try_advisory_xact_lock({key})")
    return cursor.fetchone()[0]
