"""Raw tracking events → daily facts, set-based, in the current client's schema.

``tracking_rollup()`` takes the unprocessed events (``SELECT … FOR UPDATE SKIP LOCKED``, in chunks),
marks them processed and adds them to the ``source=tracking`` rows of Traffic (visits per local date,
channel and landing page) and CTAStat (views and clicks per local date and CTA), all in one transaction
per chunk. Two rollups running at once take disjoint events, so nothing is counted twice, and running
it again adds nothing.

* The local date is the client's (``Client.time_zone``).
* A visit counts once per browser session, page and day (``DISTINCT ON``); ingest already refuses a
  session's second visit to a page, so this only guards the facts.
* A visit counts on the landing page its URL belongs to (``campaigns.landing_pages``, the capture
  endpoint's rule too); otherwise with no landing page.
* An unknown CTA key creates the CTA (named after its key).
* A click implies the CTA was seen: a day's views are never fewer than its clicks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.landing_pages import landing_page_ids_by_path
from campaigns.models import CTA, Channel, CTAStat, FactSource, TrackingEvent, Traffic
from tenants.zones import zone_named

CHUNK = 50_000  # events per transaction
# Processed events are kept this long, so that ingest still recognises a re-sent event id or a
# session's second visit to a page (the snippet's clock may be a day off: see tracking.CLOCK_TOLERANCE).
KEEP_PROCESSED = timedelta(days=7)
BATCH_TABLE = "pouls_tracking_batch"  # a temporary table, dropped at the end of each chunk


@dataclass
class RollupCount:
    events: int = 0
    visits: int = 0
    cta_events: int = 0
    chunks: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _col(model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


def client_time_zone() -> str:
    """The current client's time zone (UTC if it is not a valid one)."""
    name = getattr(connection.tenant, "time_zone", None)
    if name is None:
        from tenants.models import Client

        name = Client.objects.filter(schema_name=connection.schema_name).values_list("time_zone", flat=True).first()
    return zone_named(name or settings.TIME_ZONE).key


def _landing_pages() -> tuple[list[str], list[int]]:
    """The paths that belong to a landing page, and each one's page id (two parallel arrays for SQL)."""
    pages = landing_page_ids_by_path()
    return list(pages), list(pages.values())


def _create_missing_ctas(cursor) -> None:
    """Every CTA key of a pending event becomes a CTA if it is not one yet (name = key)."""
    e, c = TrackingEvent, CTA
    cursor.execute(
        f"""
        INSERT INTO {_table(c)} ({_col(c, "key")}, {_col(c, "name")})
        SELECT DISTINCT {_col(e, "cta_key")}, {_col(e, "cta_key")} FROM {_table(e)}
        WHERE NOT {_col(e, "processed")} AND {_col(e, "cta_key")} <> ''
        ORDER BY 1
        ON CONFLICT ({_col(c, "key")}) DO NOTHING
        """  # noqa: S608 (identifiers come from the models)
    )


def _take_chunk(cursor, *, time_zone: str, limit: int) -> int:
    """Lock up to ``limit`` pending events that no other rollup holds, mark them processed, and copy
    what the facts need into the temporary batch table. Events of a CTA that does not exist (created
    since ``_create_missing_ctas``, or just deleted) wait for the next rollup."""
    e, c = TrackingEvent, CTA
    event_id, processed, cta_key = _col(e, "event_id"), _col(e, "processed"), _col(e, "cta_key")
    known_cta = f"EXISTS (SELECT 1 FROM {_table(c)} AS cta WHERE cta.{_col(c, 'key')} = pending.{cta_key})"  # noqa: S608
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {BATCH_TABLE} (
            type text, day date, occurred_at timestamptz, session text, path text, channel_key text, cta_key text
        ) ON COMMIT DROP
        """
    )
    cursor.execute(
        f"""
        WITH chunk AS (
            SELECT {event_id} FROM {_table(e)} AS pending
            WHERE NOT {processed}
              AND ({cta_key} = '' OR {known_cta})
            ORDER BY {_col(e, "occurred_at")}
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        ), marked AS (
            UPDATE {_table(e)} AS event SET {processed} = true FROM chunk
            WHERE event.{event_id} = chunk.{event_id}
            RETURNING event.{_col(e, "type")}, (event.{_col(e, "occurred_at")} AT TIME ZONE %s)::date,
                      event.{_col(e, "occurred_at")}, event.{_col(e, "session")}, event.{_col(e, "path")},
                      event.{_col(e, "channel_key")}, event.{cta_key}
        )
        INSERT INTO {BATCH_TABLE} SELECT * FROM marked
        """,  # noqa: S608 (identifiers come from the models, values are parameters)
        [limit, time_zone],
    )
    return cursor.rowcount


def _add_traffic(cursor, pages: tuple[list[str], list[int]]) -> int:
    """Visits of the batch, per local date, channel and landing page, added to the tracking rows of
    Traffic (in key order, so that two rollups lock rows in the same order). Returns the visits."""
    t, ch = Traffic, Channel
    visits = _col(t, "visits")
    cursor.execute(
        f"""
        WITH pages (path, landing_page_id) AS (SELECT * FROM unnest(%s::text[], %s::bigint[])),
        visits AS (
            SELECT DISTINCT ON (day, session, path) day, path, channel_key
            FROM {BATCH_TABLE} WHERE type = %s
            ORDER BY day, session, path, occurred_at
        ), per_day AS (
            SELECT v.day, channel.{_col(ch, "id")} AS channel_id, pages.landing_page_id, count(*)::integer AS visits
            FROM visits AS v
            LEFT JOIN {_table(ch)} AS channel ON channel.{_col(ch, "key")} = v.channel_key
            LEFT JOIN pages ON pages.path = v.path
            GROUP BY 1, 2, 3
        ), added AS (
            INSERT INTO {_table(t)} ({_col(t, "date")}, {_col(t, "channel")}, {_col(t, "landing_page")},
                                     {_col(t, "source")}, {visits}, {_col(t, "updated_at")})
            SELECT day, channel_id, landing_page_id, %s, visits, now() FROM per_day
            ORDER BY day, channel_id, landing_page_id
            ON CONFLICT ({_col(t, "date")}, {_col(t, "channel")}, {_col(t, "landing_page")}, {_col(t, "source")})
            DO UPDATE SET {visits} = {_table(t)}.{visits} + EXCLUDED.{visits}, {_col(t, "updated_at")} = now()
        )
        SELECT coalesce(sum(visits), 0) FROM per_day
        """,  # noqa: S608 (identifiers come from the models, values are parameters)
        [*pages, TrackingEvent.Type.VISIT, FactSource.TRACKING],
    )
    return cursor.fetchone()[0]


def _add_cta_stats(cursor) -> int:
    """Views and clicks of the batch, per local date and CTA, added to the tracking rows of CTAStat
    (in key order). Returns the CTA events."""
    s, c = CTAStat, CTA
    views, clicks = _col(s, "views"), _col(s, "clicks")
    cursor.execute(
        f"""
        WITH per_day AS (
            SELECT b.day, cta.{_col(c, "id")} AS cta_id,
                   count(*) FILTER (WHERE b.type = %s)::integer AS views,
                   count(*) FILTER (WHERE b.type = %s)::integer AS clicks
            FROM {BATCH_TABLE} AS b JOIN {_table(c)} AS cta ON cta.{_col(c, "key")} = b.cta_key
            GROUP BY 1, 2
        ), added AS (
            INSERT INTO {_table(s)} ({_col(s, "date")}, {_col(s, "cta")}, {_col(s, "source")}, {views}, {clicks},
                                     {_col(s, "updated_at")})
            SELECT day, cta_id, %s, GREATEST(views, clicks), clicks, now() FROM per_day
            ORDER BY day, cta_id
            ON CONFLICT ({_col(s, "date")}, {_col(s, "cta")}, {_col(s, "source")})
            DO UPDATE SET {views} = {_table(s)}.{views} + EXCLUDED.{views},
                          {clicks} = {_table(s)}.{clicks} + EXCLUDED.{clicks},
                          {_col(s, "updated_at")} = now()
        )
        SELECT coalesce(sum(views + clicks), 0) FROM per_day
        """,  # noqa: S608 (identifiers come from the models, values are parameters)
        [TrackingEvent.Type.CTA_VIEW, TrackingEvent.Type.CTA_CLICK, FactSource.TRACKING],
    )
    return cursor.fetchone()[0]


def tracking_rollup(*, chunk: int = CHUNK) -> RollupCount:
    """Add every pending tracking event of the current client to its daily facts (see the module)."""
    count = RollupCount()
    time_zone = client_time_zone()
    pages = _landing_pages()
    with connection.cursor() as cursor:
        _create_missing_ctas(cursor)
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            # The planner cannot tell how many pending events the locked scan skips, overestimates
            # it, and JIT-compiles the statements: a third slower on 100,000 events.
            cursor.execute("SET LOCAL jit = off")
            taken = _take_chunk(cursor, time_zone=time_zone, limit=chunk)
            if taken:
                count.visits += _add_traffic(cursor, pages)
                count.cta_events += _add_cta_stats(cursor)
            # ON COMMIT DROP does not fire when the caller's transaction (a test's) goes on.
            cursor.execute(f"DROP TABLE {BATCH_TABLE}")
        count.events += taken
        count.chunks += 1
        if taken < chunk:
            return count


def tracking_events_purge(*, keep: timedelta = KEEP_PROCESSED) -> int:
    """Forget processed events older than ``keep`` (in the current client's schema)."""
    deleted, _ = TrackingEvent.objects.filter(processed=True, occurred_at__lt=timezone.now() - keep).delete()
    return deleted
