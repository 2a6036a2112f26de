"""Statistical process control for the board's trends, as NHS "Making Data Count" draws them:
each month against a centre line and limits computed from the months before it, and the rules
that call a month a signal rather than noise. Pure: numbers in, numbers out.

A rate is a p-chart: the centre line is the pooled rate of the preceding months, the limits
p ± 3·√(p(1−p)/n) with the month's own denominator n. A median or a total is an XmR chart: the
centre line is the preceding months' mean, the limits mean ± 2.66 × their mean moving range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal

BASELINE_MONTHS: Final = 12  # the preceding months a month is judged against, at most
MINIMUM_BASELINE: Final = 3  # with fewer preceding months there are no limits yet
SHIFT_RUN: Final = 7  # Making Data Count: seven months in a row on one side is a shift
XMR_SCALE: Final = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two

Direction = Literal["high", "low"]
Rule = Literal["limit", "shift"]


@dataclass(frozen=True, kw_only=True)
class ControlPoint:
    """One month on the chart: its value (None: not shown) against its baseline."""

    value: float | None
    centre: float | None = None
    lower: float | None = None
    upper: float | None = None
    signal: Direction | None = None
    rule: Rule | None = None


def p_chart(counts: Sequence[tuple[int, int]], *, smallest: int = 1) -> list[ControlPoint]:
    """A p-chart over months of (numerator, denominator), oldest first. A month whose
    denominator is under `smallest` has no value (figures.md hides small rates) but its counts
    still join the later months' pooled baseline."""
    points = []
    for month, (numerator, denominator) in enumerate(counts):
        value = numerator / denominator if denominator >= max(smallest, 1) else None
        # The preceding calendar months; one with nothing counted (0 of 0) is no baseline.
        baseline = [c for c in counts[max(0, month - BASELINE_MONTHS) : month] if c[1]]
        hits, total = sum(n for n, _ in baseline), sum(d for _, d in baseline)
        if len(baseline) < MINIMUM_BASELINE or total == 0 or value is None:
            points.append(ControlPoint(value=value))
            continue
        centre = hits / total
        spread = 3 * math.sqrt(centre * (1 - centre) / denominator)
        lower, upper = max(0.0, centre - spread), min(1.0, centre + spread)
        points.append(ControlPoint(value=value, centre=centre, lower=lower, upper=upper))
    return _marked(points)


def xmr_chart(values: Sequence[float | None]) -> list[ControlPoint]:
    """An XmR (individuals) chart over monthly values, oldest first; None: no value that month."""
    points = []
    for month, value in enumerate(values):
        window = values[max(0, month - BASELINE_MONTHS) : month]
        baseline = [v for v in window if v is not None]
        if len(baseline) < MINIMUM_BASELINE or value is None:
            points.append(ControlPoint(value=value))
            continue
        centre = sum(baseline) / len(baseline)
        moving = [abs(b - a) for a, b in pairwise(baseline)]
        spread = XMR_SCALE * sum(moving) / len(moving)
        points.append(
            ControlPoint(
                value=value,
                centre=centre,
                lower=max(0.0, centre - spread),  # days and bed-days are never negative
                upper=centre + spread,
            )
        )
    return _marked(points)


def _marked(points: list[ControlPoint]) -> list[ControlPoint]:
    """Mark a month outside its limits, and every month of a run of SHIFT_RUN or more on one
    side of their centre lines (a month on the line, or without limits, ends a run)."""
    marked = [_with(point, _side(point), "limit") if _outside(point) else point for point in points]
    run: list[int] = []
    for position, point in enumerate([*points, ControlPoint(value=None)]):
        side = _side(point)
        if run and side != _side(points[run[0]]):
            if len(run) >= SHIFT_RUN:
                for member in run:
                    if marked[member].signal is None:
                        marked[member] = _with(marked[member], _side(points[member]), "shift")
            run = []
        if side is not None:
            run.append(position)
    return marked


def _side(point: ControlPoint) -> Direction | None:
    if point.value is None or point.centre is None or point.value == point.centre:
        return None
    return "high" if point.value > point.centre else "low"


def _outside(point: ControlPoint) -> bool:
    if point.value is None or point.lower is None or point.upper is None:
        return False
    return point.value > point.upper or point.value < point.lower


def _with(point: ControlPoint, signal: Direction | None, rule: Rule) -> ControlPoint:
    return ControlPoint(
        value=point.value,
        centre=point.centre,
        lower=point.lower,
        upper=point.upper,
        signal=signal,
        rule=rule,
    )
