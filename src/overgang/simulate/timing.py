"""When things happen in a simulated stay: discharge times (a share before a weekend), how many
working days ahead a plan comes, and the municipality's answer. The rules are checklist.md's
(working days and holidays from `overgang.checklist.calendar`); the shares are figures.py's."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from overgang.checklist.calendar import WorkCalendar
from overgang.simulate import figures
from overgang.simulate.steps import Answer, Readiness

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CALENDAR = WorkCalendar()
ANSWERS: tuple[Answer, ...] = ("in-time", "late", "not-ready", "none")


def is_weekend_discharge(moment: datetime) -> bool:
    """checklist.md: Friday or the day before a holiday from 12:00, a weekend or a holiday."""
    local = moment.astimezone(COPENHAGEN)
    day = local.date()
    if not CALENDAR.is_working_day(day):
        return True
    tomorrow = day + timedelta(days=1)
    afternoon = local.time() >= time(12)
    return afternoon and (day.weekday() == 4 or CALENDAR.closed_reason(tomorrow) is not None)


def lognormal_mu() -> float:
    return math.log(figures.MEAN_STAY_DAYS) - figures.STAY_DAYS_SIGMA**2 / 2


def at(day: date, rng: random.Random, earliest: float, latest: float) -> datetime:
    hours = rng.uniform(earliest, latest)
    return datetime.combine(day, time(0), COPENHAGEN) + timedelta(hours=hours)


def discharge_time(target: datetime, start: datetime, rng: random.Random) -> datetime:
    """Wards discharge in the daytime on working days; a tenth of discharges fall on a Friday
    afternoon or a weekend (assumed share)."""
    if target - start < timedelta(days=1):
        return max(target, start + timedelta(hours=5))
    day = target.astimezone(COPENHAGEN).date()
    if rng.random() < figures.WEEKEND_DISCHARGE:
        while day.weekday() < 4:
            day += timedelta(days=1)
        return at(day, rng, 12.5, 16) if day.weekday() == 4 else at(day, rng, 10, 15)
    while not CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    before_closed = day.weekday() == 4 or not CALENDAR.is_working_day(day + timedelta(days=1))
    return at(day, rng, 9, 11.75 if before_closed else 14.5)


def plan_time(
    planned: datetime, start: datetime, child_youth: bool, rng: random.Random
) -> tuple[datetime | None, Literal["in-time", "late", "missing"]]:
    """When the plan is sent: enough working days ahead (2, or 8 for children and young
    people), too few, or never."""
    needed = 8 if child_youth else 2
    roll = rng.random()
    if roll < figures.PLAN_MISSING or planned - start < timedelta(days=1):
        return None, "missing"
    lead = (
        rng.randint(0, needed - 1)
        if roll < figures.PLAN_MISSING + figures.PLAN_LATE
        else (rng.randint(needed, needed + 4))
    )
    day, counted = planned.astimezone(COPENHAGEN).date(), 0
    while counted < lead:
        counted += CALENDAR.is_working_day(day)
        day -= timedelta(days=1)
    sent = max(at(day, rng, 9, 15), start + timedelta(hours=rng.uniform(2, 6)))
    if sent >= planned - timedelta(hours=1):
        return None, "missing"
    ahead = CALENDAR.working_days_between(
        sent.astimezone(COPENHAGEN).date(), planned.astimezone(COPENHAGEN).date()
    )
    return sent, "in-time" if ahead >= needed else "late"


def answer(
    plan_sent: datetime | None, planned: datetime, rng: random.Random
) -> tuple[Answer | None, Readiness | None, datetime | None]:
    """The municipality's answer: mostly ready in time, sometimes ready only later (and the
    ward then waits, half the time), sometimes not ready, sometimes no answer at all."""
    if plan_sent is None:
        return None, None, None
    kind: Answer = rng.choices(ANSWERS, weights=[figures.ANSWER[a] for a in ANSWERS])[0]
    if kind == "none":
        return "none", None, None
    window = (planned - plan_sent).total_seconds()
    sent = plan_sent + timedelta(seconds=window * rng.uniform(0.2, 0.8))
    if kind == "not-ready":
        return kind, Readiness(sent, False, reason="Bostøtten er ikke klar endnu"), None
    day = planned.astimezone(COPENHAGEN).date()
    if kind == "in-time":
        return kind, Readiness(sent, True, ready_from=day), None
    ready_from = day + timedelta(days=rng.randint(2, 6))
    waited = None
    if rng.random() < 0.5:
        while not CALENDAR.is_working_day(ready_from):
            ready_from += timedelta(days=1)
        waited = at(ready_from, rng, 9, 11.75)
    return kind, Readiness(sent, True, ready_from=ready_from), waited
