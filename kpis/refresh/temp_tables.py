"""The temporary tables a refresh works in, the session settings it runs under, and keeping the
planner's statistics of the tables it fills current."""

from __future__ import annotations

# Rows written above which a table's planner statistics are refreshed before the next statement
# reads it (a first refresh fills empty tables: without statistics the planner picks nested loops).
ANALYZE_AFTER = 5_000

_C = 'text COLLATE "C"'  # keys compare byte-wise, as in the tables (kpis.models)
TEMP_TABLES = (
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_scope (source {_C}, lo date, hi date) ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_new (start date, source {_C}, dimension {_C}, key {_C}, m0 numeric, "
    "m1 numeric, m2 numeric, m3 numeric, m4 numeric, n_id bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_affected (source {_C}, start date, dimension {_C}, key {_C}) "
    "ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_changed (period {_C}, source {_C}, start date, dimension {_C}, key {_C}) "
    "ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_ranges (dimension {_C}, key {_C}, lo date, hi date) ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_segments (seg int, dimension {_C}, key {_C}) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_derived (seg int, kpi_code smallint, start date, value float8, "
    "numerator float8, denominator float8, previous_value float8, change float8, target float8, status smallint, "
    "anomaly smallint, baseline_median float8, baseline_low float8, baseline_high float8, is_partial boolean, "
    "definition_version smallint, n_id bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_diff (n_id bigint, t_ref tid) ON COMMIT DELETE ROWS",
)
TEMP_NAMES = "_kpi_scope, _kpi_new, _kpi_affected, _kpi_changed, _kpi_ranges, _kpi_segments, _kpi_derived, _kpi_diff"


def temp_tables_prepare(cursor) -> None:
    """Empty temp tables (created on a connection's first refresh) and this transaction's settings."""
    cursor.execute(
        "; ".join(
            [
                *TEMP_TABLES,
                # A refresh inside a caller's transaction (tests, the demo seed) may follow another one.
                f"TRUNCATE {TEMP_NAMES} RESTART IDENTITY",
                # Group and hash hundreds of thousands of rows in memory, not on disk; no JIT compilation
                # (it costs more than it saves on statements that run once).
                "SET LOCAL work_mem = '256MB'",
                "SET LOCAL jit = off",
                # Hash joins, not sorts: merging hundreds of thousands of rows on four text keys by sorting
                # is several times slower (nested loops stay available for the small incremental sets).
                "SET LOCAL enable_mergejoin = off",
            ]
        )
    )


def statistics_refresh(cursor, table: str, written: int) -> None:
    """Refresh the planner's statistics of ``table``: temp tables never get any on their own (a
    small sample is plenty for them), and the real ones go stale within a refresh after big writes."""
    if table.startswith("_kpi"):
        cursor.execute(f"SET LOCAL default_statistics_target = 10; ANALYZE {table}; RESET default_statistics_target")
    elif written >= ANALYZE_AFTER:
        cursor.execute(f"ANALYZE {table}")
