"""A figure's rows as the board draws them: one series per group and part, months in order, the
chart's numbers in per cent, and no point for a rate under 10 in its denominator."""

from __future__ import annotations

from overgang.figures.compute import FigureRow
from overgang.figures.series import parts_of, series_of


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
    first, second = series_of(rows, part="all")
    assert (first.municipality, [m.row.month for m in first.months]) == ("0101", ["2025-01"])
    assert [m.row.numerator for m in second.months] == [2, 5]


def test_the_chart_has_per_cents_and_no_point_for_a_small_denominator() -> None:
    rows = [row(f"2025-0{m}", n, d) for m, (n, d) in enumerate([(2, 20), (1, 4), (5, 20)], 1)]
    [series] = series_of(rows, part="all")
    chart = series.chart()
    assert chart["months"] == ["2025-01", "2025-02", "2025-03"]
    assert chart["value"] == [10.0, None, 25.0] and chart["unit"] == "%"
    assert chart["target"] is None and chart["signal"] == [False, False, False]
