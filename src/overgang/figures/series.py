"""A figure's rows as the board draws them: one series of months per group and part, each month
with its SPC point, and the chart's data as plain numbers. Pure.

`compute` gives a row only for a month something was counted in. Here every series runs over
every month of the figure, first to last: a month without a row is shown as what it is, 0 of
0 (no discharges, no plans), with no point on the chart, so a gap reads as a gap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from overgang.figures.compute import SMALL_DENOMINATOR, FigureRow, is_provisional
from overgang.figures.definitions import FIGURES
from overgang.figures.spc import ControlPoint, p_chart, xmr_chart

# The part a figure with parts shows first; other figures' parts are in the order computed.
HEADLINE_PARTS: Final = {"weekend-discharge": "all", "readmission-after-weekend": "weekend"}


@dataclass(frozen=True)
class MonthPoint:
    row: FigureRow
    control: ControlPoint


@dataclass(frozen=True)
class Series:
    """One group's months of one figure (and part), oldest first."""

    figure: str
    municipality: str | None
    ward: str | None
    part: str | None
    months: tuple[MonthPoint, ...]

    @property
    def latest(self) -> tuple[MonthPoint, ...]:
        return self.months[-6:]

    def chart(self) -> dict[str, Any]:
        """The chart's data for the page's script: values in the unit shown (a rate in per
        cent), the SPC lines, the target, and which months are signals or provisional."""
        definition = FIGURES[self.figure]
        scale = 100.0 if definition.kind == "rate" else 1.0

        def shown(value: float | None) -> float | None:
            return None if value is None else round(value * scale, 2)

        return {
            "months": [point.row.month for point in self.months],
            "unit": {"rate": "%", "distribution": "arbejdsdage", "total": "sengedage"}[
                definition.kind
            ],
            "value": [shown(point.control.value) for point in self.months],
            "centre": [shown(point.control.centre) for point in self.months],
            "lower": [shown(point.control.lower) for point in self.months],
            "upper": [shown(point.control.upper) for point in self.months],
            "signal": [point.control.signal is not None for point in self.months],
            "provisional": [point.row.provisional for point in self.months],
            "target": shown(definition.target),
        }


def parts_of(rows: Sequence[FigureRow]) -> list[str]:
    """The figure's parts (checklist items, kinds of day ...), headline first; [] for none."""
    parts = sorted({row.part for row in rows if row.part is not None})
    headline = HEADLINE_PARTS.get(rows[0].figure) if rows else None
    if headline in parts:
        parts.remove(headline)
        parts.insert(0, headline)
    return parts


def series_of(rows: Sequence[FigureRow], *, part: str | None = None, today: date) -> list[Series]:
    """One series per group (region, municipality, ward ...) of the rows of one part, groups in
    order of their codes, each over every month of the figure with an empty row for a month
    the group had nothing in; `today` tells whether such a month is still provisional."""
    groups: dict[tuple[str | None, str | None], dict[str, FigureRow]] = {}
    for row in rows:
        if row.part == part:
            groups.setdefault((row.municipality, row.ward), {})[row.month] = row
    span = (
        months_from(min(row.month for row in rows), max(row.month for row in rows)) if rows else []
    )
    series = []
    for (municipality, ward), found in sorted(
        groups.items(), key=lambda group: (group[0][0] or "", group[0][1] or "")
    ):
        months = [
            found.get(month)
            or _empty(
                rows[0].figure,
                month,
                municipality=municipality,
                ward=ward,
                part=part,
                today=today,
            )
            for month in span
        ]
        series.append(
            Series(
                figure=rows[0].figure,
                municipality=municipality,
                ward=ward,
                part=part,
                months=tuple(map(MonthPoint, months, _controlled(months))),
            )
        )
    return series


def months_from(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` ("YYYY-MM"), both included."""
    year, number = (int(n) for n in first.split("-"))
    months = []
    while (month := f"{year:04d}-{number:02d}") <= last:
        months.append(month)
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months


def _empty(
    figure: str,
    month: str,
    *,
    municipality: str | None,
    ward: str | None,
    part: str | None,
    today: date,
) -> FigureRow:
    """A month nothing was counted in: 0 of 0 (figures.md counts; a rate of nothing is none)."""
    definition = FIGURES[figure]
    return FigureRow(
        figure=figure,
        month=month,
        municipality=municipality,
        ward=ward,
        part=part,
        numerator=0 if definition.kind == "rate" else None,
        denominator=0,
        total=0 if definition.kind == "total" else None,
        provisional=is_provisional(month, definition.window_days, today),
    )


def _controlled(months: Sequence[FigureRow]) -> list[ControlPoint]:
    kind = FIGURES[months[0].figure].kind
    if kind == "rate":
        counts = [(row.numerator or 0, row.denominator or 0) for row in months]
        return p_chart(counts, smallest=SMALL_DENOMINATOR)
    if kind == "distribution":
        return xmr_chart([row.median for row in months])
    # A month without stays is a gap, not a month of 0 bed-days on the chart.
    return xmr_chart(
        [None if row.total is None or not row.denominator else float(row.total) for row in months]
    )
