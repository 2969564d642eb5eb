"""Keeping snapshots in step with the facts: ``kpi_snapshot_refresh``.

One refresh, in one transaction, for the current client (``run``):

1. **Day measures.** The days whose facts changed (``DirtyDay`` rows written by triggers, plus the
   facts whose timestamp passed since the last run: ``changes``) are recomputed from the facts, per
   source, with the report's own queries (``kpis.measures``) and merged into ``Measure``
   (``rollups``): only rows whose numbers differ are written (``merge``), and every written or
   removed row is recorded as *changed*.
2. **Week, month and quarter measures** of the changed day rows are re-summed from the day rows
   (``rollups``).
3. **Snapshots.** For each period kind, the series windows that changed (a changed period and the 8
   after it, which read it as their previous period or anomaly baseline), the periods that ended
   since the last run (no longer in progress) and the totals of new periods (``windows``) are laid
   out on grids with 10 periods of history (``kpis.grid``); every KPI, its trend, status
   (``statuses``) and anomaly flag is derived there and the rows are merged into ``Snapshot``
   (written only where they differ: ``snapshots``).

The work happens in temporary tables (``temp_tables``), under the client's refresh lock (``lock``).

A full refresh does the same over everything (all facts, the windows around every period that
holds data) and removes whatever it did not produce; it also runs when there is no earlier run or a
change touched every period (a catalogue key, a channel's paid flag, the client's time zone). Both
give the same rows: ``kpis/tests/test_refresh.py`` checks an incremental run against a full one
after each kind of write.

Work follows the periods that hold data, never the span between the oldest and the newest fact: a
total row exists for a period with data, the 8 after it and the current period (a keyed row only
where its key has data, as before), and grids are cut to at most ``GRID_CELLS`` cells. A client with
one fact in 2000 and the rest in 2026 refreshes like one with its 2026 facts only (0.50 s and 7 MiB
against 0.44 s and 7 MiB with 100 keyword series; 9.4 s and 351 MiB when every series spanned from
2000: ``bench/refresh_span.py``).
"""

from kpis.refresh.lock import TARGETS_MARK, refresh_lock
from kpis.refresh.run import RefreshResult, kpi_snapshot_refresh
from kpis.refresh.statuses import snapshot_statuses_write, snapshot_targets_sync

__all__ = [
    "TARGETS_MARK",
    "RefreshResult",
    "kpi_snapshot_refresh",
    "refresh_lock",
    "snapshot_statuses_write",
    "snapshot_targets_sync",
]
