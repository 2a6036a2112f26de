"""A figure's rows as the board draws them: one series of months per group and part, each month
with its SPC point, and the chart's data as plain numbers. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from overgang.figures.compute import SMALL_DENOMINATOR, FigureRow
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


def series_of(rows: Sequence[FigureRow], *, part: str | None = None) -> list[Series]:
    """One series per group (region, municipality, ward ...) of the rows of one part, groups in
    order of their codes; the rows are in order of month, as `compute` gives them."""
    groups: dict[tuple[str | None, str | None], list[FigureRow]] = {}
    for row in rows:
        if row.part == part:
            groups.setdefault((row.municipality, row.ward), []).append(row)
    return [
        Series(
            figure=months[0].figure,
            municipality=municipality,
            ward=ward,
            part=part,
            months=tuple(map(MonthPoint, months, _controlled(months))),
        )
        for (municipality, ward), months in sorted(
            groups.items(), key=lambda group: (group[0][0] or "", group[0][1] or "")
        )
    ]


def _controlled(months: Sequence[FigureRow]) -> list[ControlPoint]:
    kind = FIGURES[months[0].figure].kind
    if kind == "rate":
        counts = [(row.numerator or 0, row.denominator or 0) for row in months]
        return p_chart(counts, smallest=SMALL_DENOMINATOR)
    if kind == "distribution":
        return xmr_chart([row.median for row in months])
    return xmr_chart([None if row.total is None else float(row.total) for row in months])
