"""One set-based upsert for every import: rows that did not change are not touched, so importing
the same file twice changes nothing (not even ``updated_at``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

BATCH = 1000


@dataclass
class UpsertCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCount) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def upsert(model, rows: list[dict], *, conflict: list[str], update: list[str]) -> UpsertCount:
    """INSERT … ON CONFLICT (conflict) DO UPDATE SET update… WHERE something differs.

    ``rows`` hold column names (``campaign_id``, not ``campaign``). Tables with ``updated_at`` get it
    refreshed only on rows that really changed.
    """
    result = UpsertCount()
    if not rows:
        return result
    table = connection.ops.quote_name(model._meta.db_table)
    columns = list(rows[0])
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        columns.append("updated_at")
    quoted = [connection.ops.quote_name(c) for c in columns]
    changes = ", ".join(f"{q} = EXCLUDED.{q}" for q in (connection.ops.quote_name(c) for c in update))
    if "updated_at" in columns:
        changes += ', "updated_at" = now()'
    current = ", ".join(f"{table}.{connection.ops.quote_name(c)}" for c in update)
    incoming = ", ".join(f"EXCLUDED.{connection.ops.quote_name(c)}" for c in update)
    target = ", ".join(connection.ops.quote_name(c) for c in conflict)
    on_conflict = f"DO UPDATE SET {changes} WHERE ({current}) IS DISTINCT FROM ({incoming})" if update else "DO NOTHING"
    row_placeholder = "(" + ", ".join("now()" if c == "updated_at" else "%s" for c in columns) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            values = ", ".join([row_placeholder] * len(batch))
            params = [row[c] for row in batch for c in columns if c != "updated_at"]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {values} "  # noqa: S608 (names are ours)
                f"ON CONFLICT ({target}) {on_conflict} RETURNING (xmax = 0)",
                params,
            )
            inserted = [r[0] for r in cursor.fetchall()]
            result.created += sum(inserted)
            result.updated += len(inserted) - sum(inserted)
            result.unchanged += len(batch) - len(inserted)
    return result
