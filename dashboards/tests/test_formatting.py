"""Numbers and periods in the reader's language and the client's currency."""

from datetime import date

import pytest

from dashboards.formatting import Formatter
from tests.formats import NBSP, NNBSP


@pytest.mark.parametrize(
    ("language", "currency", "number", "unit", "expected"),
    [
        ("fr", "EUR", 1234.56, "money", f"1{NNBSP}234,56{NBSP}€"),
        ("en", "EUR", 1234.56, "money", "€1,234.56"),
        ("fr", "GBP", 1234.5, "money", f"1{NNBSP}234,50{NBSP}£GB"),
        ("fr", "EUR", 0.125, "rate", f"12,5{NBSP}%"),
        ("en", "EUR", 0.125, "rate", "12.5%"),
        ("fr", "EUR", -0.5, "ratio", f"-50,0{NBSP}%"),
        ("fr", "EUR", 12345.0, "count", f"12{NNBSP}345"),
        ("en", "EUR", 12345.0, "count", "12,345"),
        ("fr", "EUR", None, "money", "—"),
    ],
)
def test_values_follow_the_locale_and_the_currency(language, currency, number, unit, expected):
    assert Formatter(language, currency).value(number, unit) == expected


def test_changes_are_relative_for_counts_and_in_points_for_rates():
    fr = Formatter("fr", "EUR")
    assert fr.change(120, 100, "count") == f"+20,0{NBSP}%"
    assert fr.change(80, 100, "money") == f"-20,0{NBSP}%"
    assert fr.change(0.25, 0.2, "rate") == f"+5,0{NBSP}pt"
    assert fr.change(5, 0, "count") is None  # no relative change from zero
    assert fr.change(None, 3, "count") is None and fr.change(3, None, "count") is None


def test_csv_numbers_are_plain():
    fr = Formatter("fr", "EUR")
    assert (fr.plain(1234.5, "money"), fr.plain(0.125, "rate"), fr.plain(7.0, "count"), fr.plain(None, "rate")) == (
        "1234.50",
        "0.125",
        "7",
        "",
    )


def test_period_labels():
    fr, en = Formatter("fr", "EUR"), Formatter("en", "EUR")
    assert fr.period(date(2026, 11, 1), "month") == "novembre 2026"
    assert en.period(date(2026, 10, 1), "quarter") == "Q4 2026"
    assert fr.period(date(2026, 10, 1), "quarter") == "T4 2026"
    assert fr.period(date(2026, 11, 30), "week") == "30 nov. 2026 – 6 déc. 2026"
    assert fr.short_period(date(2026, 2, 1), "month") == "févr. 26"
