"""The figures pages' Danish numbers: a decimal comma, the per cent sign after a space, and a
rate under 10 in its denominator shown as its two numbers only (figures.md)."""

from __future__ import annotations

from overgang.board.figure_text import decimal, month_name, percent, rate
from overgang.figures.compute import FigureRow


def row(numerator: int, denominator: int) -> FigureRow:
    return FigureRow(
        figure="readmission-30d", month="2025-03", municipality=None, ward=None, part=None,
        numerator=numerator, denominator=denominator,
    )  # fmt: skip


def test_a_rate_of_ten_or_more_is_shown_with_its_percentage_and_a_smaller_one_without() -> None:
    assert rate(row(3, 13)) == "3 af 13 (23,1 %)"
    assert rate(row(3, 9)) == "3 af 9"


def test_numbers_and_months_are_written_the_danish_way() -> None:
    assert percent(0.9) == "90,0 %" and percent(None) == "–"
    assert decimal(1234.56) == "1.234,6" and decimal(2.0, 0) == "2"
    assert month_name("2026-01") == "jan. 2026" and month_name("2025-05") == "maj 2025"
