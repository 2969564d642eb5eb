"""The SQL written once for the KPI code (kpis/sql.py), run on PostgreSQL."""

from django.db import connection

from kpis.models import Measure
from kpis.sql import grouping_sets, quoted_table


def test_grouping_sets_count_the_total_and_each_breakdown_once(db):
    # given three facts of one day, one without an offer
    grouping = grouping_sets(by=("f.day",), keys={"channel": "f.channel", "offer": "f.offer"}, total=True)
    # when they are grouped by the total and each dimension in one query
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.day, {grouping.dimension}, {grouping.key}, count(*) "
            "FROM (VALUES ('d1', 'email', 'ebook'), ('d1', 'email', NULL), ('d1', 'display', 'ebook')) "
            f"f(day, channel, offer) {grouping.group_by}"
        )
        rows = sorted(cursor.fetchall())
    # then each row names its dimension and key; a fact without the attribute has the key ''
    assert rows == [
        ("d1", "", "", 3),
        ("d1", "channel", "display", 1),
        ("d1", "channel", "email", 2),
        ("d1", "offer", "", 1),
        ("d1", "offer", "ebook", 2),
    ]


def test_grouping_sets_without_total_or_keys_group_nothing():
    assert grouping_sets(by=("f.day",), keys={}, total=False) is None
    only_total = grouping_sets(by=("f.day",), keys={}, total=True)
    assert (only_total.group_by, only_total.dimension, only_total.key) == (
        "GROUP BY GROUPING SETS ((f.day))",
        "''",
        "''",
    )


def test_quoted_table_is_the_models_table_as_django_quotes_it():
    assert quoted_table(Measure) == connection.ops.quote_name(Measure._meta.db_table) == '"kpis_measure"'
