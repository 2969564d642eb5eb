"""The SQL pieces the KPI code writes in more than one place, written once: a model's table name,
quoted, and the ``GROUP BY GROUPING SETS`` clause that counts a total and several breakdowns in one
pass (with the dimension and key each row was grouped by).

Only the code's own identifiers go into this SQL (values are always parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


def quoted_table(model) -> str:
    """The table of ``model`` as a quoted SQL identifier, as Django's own queries write it."""
    return connection.ops.quote_name(model._meta.db_table)


@dataclass(frozen=True)
class GroupingSets:
    """One grouped query's breakdowns: ``group_by`` is its ``GROUP BY GROUPING SETS (…)`` clause;
    ``dimension`` and ``key`` are the SQL of the dimension name and the key each result row was
    grouped by (``''`` for the total and for a fact without the attribute)."""

    group_by: str
    dimension: str
    key: str


def grouping_sets(*, by: tuple[str, ...], keys: dict[str, str], total: bool) -> GroupingSets | None:
    """Group by the columns ``by`` (the period start, …) alone when ``total``, and by ``by`` and each
    key of ``keys`` (dimension → key SQL) in turn; None when there is nothing to group."""
    common = ", ".join(by)
    sets = ([f"({common})"] if total else []) + [f"({common}, {sql})" for sql in keys.values()]
    if not sets:
        return None
    if keys:
        # GROUPING(column) is 0 in the rows grouped by that column: they name its dimension and value.
        dimension = "CASE " + " ".join(f"WHEN GROUPING({sql}) = 0 THEN '{name}'" for name, sql in keys.items())
        dimension += " ELSE '' END"
        key = "CASE " + " ".join(f"WHEN GROUPING({sql}) = 0 THEN COALESCE({sql}, '')" for sql in keys.values())
        key += " ELSE '' END"
    else:
        dimension = key = "''"
    return GroupingSets(group_by=f"GROUP BY GROUPING SETS ({', '.join(sets)})", dimension=dimension, key=key)
