"""The diff-merge every refresh write goes through: make a table's rows in a scope match the rows a
refresh computed, writing only those that differ."""

from __future__ import annotations

from kpis.refresh.temp_tables import statistics_refresh


def table_merge(
    cursor,
    *,
    table: str,
    incoming: str,
    period: str,
    keys: tuple[str, ...],
    values: dict[str, str],
    existing: str,
    touch: dict[str, str] | None = None,
    params: dict | None = None,
    changed_into: str = "",
    incoming_rows: int = 0,
) -> int:
    """Make the rows of ``table`` for ``period`` that ``existing`` selects (``ctid`` and all columns,
    from ``t``; a join that its indexes serve) match ``incoming`` (rows with an ``n_id``, all within
    that scope): delete the rows it lacks,
    update those whose ``values`` (column → SQL over ``n``) differ, insert the new ones; written
    rows also take ``touch`` (column → SQL, reading ``params``). Returns how many rows changed;
    with ``changed_into``, their keys are appended to that temp table.

    One hash full join sorts every row into "same", "differs", "new" or "gone" (``_kpi_diff`` keeps
    the last three, with the row's physical address: only refreshes write these tables, under the
    client's refresh lock), then each write touches only its rows: comparing 700,000 unchanged rows
    costs one join, not three, and no statement reads a table it is inserting into."""
    same = " AND ".join(f"t.{k} = n.{k}" for k in keys)
    params = {**(params or {}), "period": period}
    written = {**values, **(touch or {})}
    key_list = ", ".join(keys)
    differs = f"({', '.join(f't.{c}' for c in values)}) IS DISTINCT FROM ({', '.join(values.values())})"
    if incoming_rows:  # a table just filled (a subquery's tables are analyzed by their writer)
        statistics_refresh(cursor, incoming, incoming_rows)
    cursor.execute("TRUNCATE _kpi_diff")
    cursor.execute(
        f"""INSERT INTO _kpi_diff
            SELECT n.n_id, t.ctid FROM {incoming} n
            FULL JOIN ({existing}) t ON {same}
            WHERE n.n_id IS NULL OR t.ctid IS NULL OR {differs}""",
        params,
    )
    statistics_refresh(cursor, "_kpi_diff", cursor.rowcount)
    note = f"INSERT INTO {changed_into} SELECT %(period)s, {key_list} FROM" if changed_into else "SELECT count(*) FROM"
    returning = ", ".join(f"t.{k}" for k in keys)
    statements = (
        f"""WITH done AS (DELETE FROM {table} t USING _kpi_diff d WHERE t.ctid = d.t_ref AND d.n_id IS NULL
                          RETURNING {returning})
            {note} done""",
        f"""WITH done AS (UPDATE {table} t SET {", ".join(f"{c} = {e}" for c, e in written.items())}
                          FROM _kpi_diff d JOIN {incoming} n ON n.n_id = d.n_id WHERE t.ctid = d.t_ref
                          RETURNING {returning})
            {note} done""",
        f"""WITH done AS (INSERT INTO {table} AS t (period, {key_list}, {", ".join(written)})
                          SELECT %(period)s, {", ".join(f"n.{k}" for k in keys)}, {", ".join(written.values())}
                          FROM _kpi_diff d JOIN {incoming} n ON n.n_id = d.n_id WHERE d.t_ref IS NULL
                          RETURNING {returning})
            {note} done""",
    )
    changed = 0
    for statement in statements:
        cursor.execute(statement, params)
        count = cursor.rowcount if changed_into else cursor.fetchone()[0]
        changed += count
    statistics_refresh(cursor, table, changed)
    return changed
