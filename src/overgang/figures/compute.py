"""Each figure of `definitions.FIGURES`, computed from plain rows: one `FigureRow` per month and
group, every rate with its numerator and denominator. Pure: no database, no clock."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from overgang.checklist.calendar import WorkCalendar, local_date
from overgang.figures.definitions import FIGURES
from overgang.figures.rows import EpisodeRow
from overgang.figures.stays import (
    Stay,
    closed_day_discharge,
    days_to_readmission,
    follow_up_within,
    merge_stays,
    month_end,
    month_of,
)

Grouping = Literal["region", "municipality", "ward", "municipality-ward"]
SMALL_DENOMINATOR: Final = 10  # below it a rate is shown as its two numbers only
GROUPINGS: Final[tuple[Grouping, ...]] = ("region", "municipality", "ward", "municipality-ward")


@dataclass(frozen=True, kw_only=True)
class FigureRow:
    """One figure for one month and group (`municipality`/`ward` None: all of them)."""

    figure: str
    month: str  # YYYY-MM, local
    municipality: str | None
    ward: str | None
    part: str | None  # a checklist item, weekend/weekday, agreed/not-agreed; None: the figure
    numerator: int | None = None
    denominator: int | None = None
    median: float | None = None  # answer-time
    p90: float | None = None
    total: int | None = None  # waiting-days (bed-days)
    provisional: bool = False

    @property
    def rate(self) -> float | None:
        """The share, or None when the denominator is under 10 (show the two numbers)."""
        if self.numerator is None or not self.denominator:
            return None
        if self.denominator < SMALL_DENOMINATOR:
            return None
        return self.numerator / self.denominator


@dataclass(frozen=True, kw_only=True)
class Discharge:
    """The facts of one ended stay that the discharge figures count."""

    month: str
    municipality: str
    ward: str
    index: bool
    readmitted_after: int | None  # local days to the next admission
    follow_up_7d: bool
    follow_up_30d: bool
    closed_day: str | None  # why it is a weekend/holiday discharge
    agreed: bool
    checklist_complete: bool | None  # None: no result
    checklist_items: tuple[tuple[str, str], ...]
    waiting_days: int | None  # None: no planned date


@dataclass(frozen=True, kw_only=True)
class PlanFacts:
    month: str  # of the first plan's arrival
    answer_month: str | None
    municipality: str
    ward: str
    answer_working_days: int | None
    answered_in_time: bool
    decided: bool  # the planned discharge date has passed, or it was answered


def discharges(
    episodes: Iterable[EpisodeRow], *, calendar: WorkCalendar | None = None
) -> list[Discharge]:
    """Every ended stay, discharged alive, with its facts."""
    calendar = calendar or WorkCalendar()
    found = []
    for stays in merge_stays(episodes):
        for position, stay in enumerate(stays):
            if stay.discharged_alive:
                found.append(_discharge(stays, position, stay, calendar))
    return found


def _discharge(
    stays: Sequence[Stay], position: int, stay: Stay, calendar: WorkCalendar
) -> Discharge:
    last, ended = stay.last, stay.ended_at
    assert ended is not None
    return Discharge(
        month=month_of(ended),
        municipality=last.municipality,
        ward=last.ward,
        index=stay.is_index_discharge,
        readmitted_after=days_to_readmission(stays, position),
        follow_up_7d=follow_up_within(stay, 7),
        follow_up_30d=follow_up_within(stay, 30),
        closed_day=closed_day_discharge(ended, calendar),
        agreed=last.weekend_discharge_agreed,
        checklist_complete=last.checklist.complete if last.checklist else None,
        checklist_items=last.checklist.items if last.checklist else (),
        waiting_days=_waiting_days(last),
    )


def _waiting_days(episode: EpisodeRow) -> int | None:
    """figures.md `waiting-days`: max(0, min(D, R) - P); R = D without a ready answer."""
    if episode.planned_discharge_at is None or episode.ended_at is None:
        return None
    planned, discharged = local_date(episode.planned_discharge_at), local_date(episode.ended_at)
    ready = episode.ready_from if episode.ready and episode.ready_from else discharged
    return max(0, (min(discharged, ready) - planned).days)


def plans(
    episodes: Iterable[EpisodeRow], *, today: date, calendar: WorkCalendar | None = None
) -> list[PlanFacts]:
    """Every episode with a discharge plan, with its municipality's first answer."""
    calendar = calendar or WorkCalendar()
    found = []
    for episode in episodes:
        if episode.first_plan_at is None or episode.state == "cancelled":
            continue
        sent = local_date(episode.first_plan_at)
        answered = local_date(episode.first_answer_at) if episode.first_answer_at else None
        planned = local_date(episode.planned_discharge_at) if episode.planned_discharge_at else None
        found.append(
            PlanFacts(
                month=month_of(episode.first_plan_at),
                answer_month=month_of(episode.first_answer_at) if episode.first_answer_at else None,
                municipality=episode.municipality,
                ward=episode.ward,
                answer_working_days=(
                    calendar.working_days_between(sent, answered) if answered else None
                ),
                answered_in_time=answered is not None and (planned is None or answered <= planned),
                decided=answered is not None or (planned is not None and planned < today),
            )
        )
    return found


# --- tabulating ----------------------------------------------------------------------------

Key = tuple[str, str | None, str | None]  # month, municipality, ward


def _key(grouping: Grouping, month: str, municipality: str, ward: str) -> Key:
    return (
        month,
        municipality if grouping in ("municipality", "municipality-ward") else None,
        ward if grouping in ("ward", "municipality-ward") else None,
    )


def is_provisional(month: str, window_days: int | None, today: date) -> bool:
    """A month is provisional until it is over, and then until its window has closed."""
    return month_end(month) + timedelta(days=window_days or 0) >= today


def _rate_rows(
    figure: str,
    items: Iterable[Discharge],
    *,
    grouping: Grouping,
    today: date,
    parts: Callable[[Discharge], Iterable[tuple[str | None, bool, bool]]],
) -> list[FigureRow]:
    """Sum (part, counts in numerator, counts in denominator) per month and group."""
    cells: dict[tuple[Key, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        key = _key(grouping, item.month, item.municipality, item.ward)
        for part, hit, counted in parts(item):
            if counted:
                cell = cells[(key, part)]
                cell[0] += hit
                cell[1] += 1
    window = FIGURES[figure].window_days
    return [
        FigureRow(
            figure=figure,
            month=month,
            municipality=municipality,
            ward=ward,
            part=part,
            numerator=numerator,
            denominator=denominator,
            provisional=is_provisional(month, window, today),
        )
        for ((month, municipality, ward), part), (numerator, denominator) in sorted(
            cells.items(),
            key=lambda c: (c[0][0][0], c[0][0][1] or "", c[0][0][2] or "", c[0][1] or ""),
        )
    ]


def _readmitted(item: Discharge, days: int) -> bool:
    return item.readmitted_after is not None and item.readmitted_after <= days


Parts = Callable[[Discharge], list[tuple[str | None, bool, bool]]]


def _readmission_parts(days: int) -> Parts:
    return lambda d: [(None, _readmitted(d, days), d.index)]


def _weekend_parts(item: Discharge) -> list[tuple[str | None, bool, bool]]:
    closed = item.closed_day is not None
    return [
        ("all", closed, True),
        ("agreed", closed and item.agreed, True),
        ("not-agreed", closed and not item.agreed, True),
    ]


# Per discharge figure: each (part, in the numerator, in the denominator) a discharge gives.
DISCHARGE_PARTS: Final[dict[str, Parts]] = {
    "readmission-30d": _readmission_parts(30),
    "readmission-7d": _readmission_parts(7),
    "readmission-3d": _readmission_parts(3),
    "follow-up-7d": lambda d: [(None, d.follow_up_7d, d.index)],
    "follow-up-30d": lambda d: [(None, d.follow_up_30d, d.index)],
    "checklist-item": lambda d: [
        (item, status == "met", status != "not-applicable") for item, status in d.checklist_items
    ],
    "checklist-complete": lambda d: [
        (None, bool(d.checklist_complete), d.checklist_complete is not None)
    ],
    "weekend-discharge": _weekend_parts,
    "readmission-after-weekend": lambda d: [
        ("weekend" if d.closed_day else "weekday", _readmitted(d, 30), d.index)
    ],
}


def discharge_figure(
    figure: str, items: Sequence[Discharge], *, grouping: Grouping, today: date
) -> list[FigureRow]:
    """One of the figures counted over discharges, per month and group."""
    if figure == "waiting-days":
        return _waiting_rows(items, grouping=grouping, today=today)
    parts = DISCHARGE_PARTS[figure]
    return _rate_rows(figure, items, grouping=grouping, today=today, parts=parts)


def _waiting_rows(
    items: Iterable[Discharge], *, grouping: Grouping, today: date
) -> list[FigureRow]:
    cells: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        if item.waiting_days is not None:
            cell = cells[_key(grouping, item.month, item.municipality, item.ward)]
            cell[0] += item.waiting_days
            cell[1] += 1
    return [
        FigureRow(
            figure="waiting-days",
            month=month,
            municipality=municipality,
            ward=ward,
            part=None,
            total=total,
            denominator=stays,
            provisional=is_provisional(month, None, today),
        )
        for (month, municipality, ward), (total, stays) in sorted(cells.items(), key=_order)
    ]


def _order(cell: tuple[Key, list[int]]) -> tuple[str, str, str]:
    (month, municipality, ward), _ = cell
    return month, municipality or "", ward or ""


def plan_figure(
    figure: str, items: Sequence[PlanFacts], *, grouping: Grouping, today: date
) -> list[FigureRow]:
    """`answer-time` (per month of the answer) or `unanswered-plans` (month of the plan)."""
    if figure == "unanswered-plans":
        cells: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
        for plan in items:
            if plan.decided:
                cell = cells[_key(grouping, plan.month, plan.municipality, plan.ward)]
                cell[0] += not plan.answered_in_time
                cell[1] += 1
        return [
            FigureRow(
                figure=figure,
                month=m,
                municipality=k,
                ward=w,
                part=None,
                numerator=n,
                denominator=d,
                provisional=is_provisional(m, None, today),
            )
            for (m, k, w), (n, d) in sorted(cells.items(), key=_order)
        ]
    if figure == "answer-time":
        values: dict[Key, list[int]] = defaultdict(list)
        for plan in items:
            if plan.answer_month is not None and plan.answer_working_days is not None:
                key = _key(grouping, plan.answer_month, plan.municipality, plan.ward)
                values[key].append(plan.answer_working_days)
        return [
            FigureRow(
                figure=figure,
                month=m,
                municipality=k,
                ward=w,
                part=None,
                denominator=len(days),
                median=float(statistics.median(days)),
                p90=float(percentile(days, 0.9)),
                provisional=is_provisional(m, None, today),
            )
            for (m, k, w), days in sorted(values.items(), key=lambda c: _order((c[0], [])))
        ]
    raise KeyError(figure)


def percentile(values: Sequence[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value with at least `share` of them at or
    below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figure_rows(
    figure: str,
    *,
    discharged: Sequence[Discharge],
    planned: Sequence[PlanFacts],
    grouping: Grouping,
    today: date,
) -> list[FigureRow]:
    """Any figure of FIGURES, from the facts `discharges` and `plans` gave."""
    if figure not in FIGURES:
        raise KeyError(figure)
    if figure in ("answer-time", "unanswered-plans"):
        return plan_figure(figure, planned, grouping=grouping, today=today)
    return discharge_figure(figure, discharged, grouping=grouping, today=today)
