"""The dashboard's state lives in its URL: parsed strictly, written back without the defaults."""

from datetime import date

import pytest

from dashboards.state import DashboardState, StateError, state_from_query

TODAY = date(2026, 12, 2)


def test_defaults_are_the_last_complete_month_with_twelve_months_of_charts():
    state = state_from_query({})
    assert (state.period, state.range) == ("month", "last")
    assert state.focus(TODAY) == date(2026, 11, 1)
    assert state.first(TODAY) == date(2025, 12, 1)
    assert state.query() == ""
    this = state_from_query({"range": "this"})
    assert (this.focus(TODAY), this.first(TODAY), this.query()) == (date(2026, 12, 1), date(2026, 1, 1), "range=this")


@pytest.mark.parametrize(
    ("params", "focus", "first"),
    [
        ({"period": "week", "range": "this"}, date(2026, 11, 30), date(2026, 9, 7)),
        ({"period": "week", "range": "last"}, date(2026, 11, 23), date(2026, 8, 31)),
        ({"period": "quarter", "range": "last"}, date(2026, 7, 1), date(2024, 10, 1)),
        ({"range": "custom", "from": "2026-02-14", "to": "2026-05-31"}, date(2026, 5, 1), date(2026, 2, 1)),
    ],
)
def test_ranges(params, focus, first):
    state = state_from_query(params)
    assert (state.focus(TODAY), state.first(TODAY)) == (focus, first)


def test_the_query_round_trips():
    state = DashboardState("week", "custom", date(2026, 1, 5), date(2026, 3, 2), "channel", "paid_search")
    again = state_from_query(dict(pair.split("=") for pair in state.query().split("&")))
    assert again == state
    assert "dimension" not in state.without_drill()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "day"}, "period"),
        ({"range": "ever"}, "range"),
        ({"range": "custom", "to": "2026-01-01"}, "from"),
        ({"range": "custom", "from": "2026-13-01", "to": "2026-01-01"}, "from"),
        ({"range": "custom", "from": "2026-05-01", "to": "2026-01-01"}, "to"),
        ({"range": "custom", "from": "2020-01-01", "to": "2026-01-01"}, "to"),  # more than 36 months
        ({"dimension": "keyword", "key": "x"}, "dimension"),
        ({"dimension": "channel"}, "key"),
        ({"key": "paid_search"}, "dimension"),
        ({"range": "custom", "from": "0001-01-01", "to": "0001-01-01"}, "from"),
        ({"range": "custom", "from": "2026-01-01", "to": "9999-12-31"}, "to"),
        ({"dimension": "channel", "key": "a\x00b"}, "key"),
        ({"dimension": "channel", "key": "k" * 301}, "key"),
    ],
)
def test_bad_parameters_are_field_errors(params, field):
    with pytest.raises(StateError) as error:
        state_from_query(params)
    assert field in error.value.errors and error.value.errors[field][0]


def test_an_empty_key_drills_into_the_none_row():
    assert state_from_query({"dimension": "campaign", "key": ""}).key == ""
