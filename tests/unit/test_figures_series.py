"""A figure's rows as the board draws them: one series per group and part, months in order, the
chart's numbers in per cent, no point for a rate under 10 in its denominator, and a month with
nothing counted shown as 0 of 0 with a gap on the chart."""

from __future__ import annotations

from datetime import date

from overgang.figures.compute import FigureRow
from overgang.figures.series import parts_of, series_of

TODAY = date(2026, 12, 2)


def row(month: str, numerator: int, denominator: int, **where: str | None) -> FigureRow:
    return FigureRow(
        figure="weekend-discharge",
        month=month,
        municipality=where.get("municipality"),
        ward=None,
        part=where.get("part", "all"),
        numerator=numerator,
        denominator=denominator,
    )


def test_one_series_per_group_of_the_part_asked_for() -> None:
    rows = [
        row("2025-01", 2, 20, municipality="0851"),
        row("2025-01", 1, 20, municipality="0851", part="agreed"),
        row("2025-01", 3, 4, municipality="0101"),
        row("2025-02", 5, 20, municipality="0851"),
    ]
    assert parts_of(rows) == ["all", "agreed"]  # the headline part first
    first, second = series_of(rows, part="all", today=TODAY)
    # Every group over every month of the figure: 0101 had nothing in February.
    assert first.municipality == "0101"
    assert [(m.row.month, m.row.numerator, m.row.denominator) for m in first.months] == [
        ("2025-01", 3, 4),
        ("2025-02", 0, 0),
    ]
    assert [m.row.numerator for m in second.months] == [2, 5]


def test_the_chart_has_per_cents_and_no_point_for_a_small_denominator() -> None:
    rows = [row(f"2025-0{m}", n, d) for m, (n, d) in enumerate([(2, 20), (1, 4), (5, 20)], 1)]
    [series] = series_of(rows, part="all", today=TODAY)
    chart = series.chart()
    assert chart["months"] == ["2025-01", "2025-02", "2025-03"]
    assert chart["value"] == [10.0, None, 25.0] and chart["unit"] == "%"
    assert chart["target"] is None and chart["signal"] == [False, False, False]


def test_an_empty_month_is_0_of_0_in_the_table_and_a_gap_on_the_chart() -> None:
    rows = [row("2025-11", 2, 20), row("2026-02", 5, 20)]  # December and January: nothing
    [series] = series_of(rows, part="all", today=TODAY)
    assert [(m.row.month, m.row.numerator, m.row.denominator) for m in series.months] == [
        ("2025-11", 2, 20),
        ("2025-12", 0, 0),
        ("2026-01", 0, 0),
        ("2026-02", 5, 20),
    ]
    assert all(m.row.rate is None and not m.row.provisional for m in series.months[1:3])
    chart = series.chart()
    assert chart["months"] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert chart["value"] == [10.0, None, None, 25.0]


def test_an_empty_month_of_a_total_or_a_median_is_a_gap_too() -> None:
    def waited(month: str, days: int, stays: int) -> FigureRow:
        return FigureRow(
            figure="waiting-days", month=month, municipality=None, ward=None, part=None,
            total=days, denominator=stays,
        )  # fmt: skip

    [series] = series_of([waited("2026-10", 4, 2), waited("2026-12", 6, 3)], today=TODAY)
    empty = series.months[1].row
    assert (empty.month, empty.total, empty.denominator, empty.provisional) == (
        "2026-11",
        0,
        0,
        False,  # November is over, and waiting-days has no window
    )
    assert series.chart()["value"] == [4.0, None, 6.0]


def test_an_empty_month_is_provisional_while_its_window_is_open() -> None:
    def readmitted(month: str) -> FigureRow:
        return FigureRow(
            figure="readmission-30d", month=month, municipality=None, ward=None, part=None,
            numerator=1, denominator=12,
        )  # fmt: skip

    # On 2 December, November can still gain readmissions: provisional until 30 December.
    [series] = series_of([readmitted("2026-09"), readmitted("2026-12")], today=TODAY)
    assert [(m.row.month, m.row.provisional) for m in series.months[1:3]] == [
        ("2026-10", False),  # closed on 30 November
        ("2026-11", True),
    ]
