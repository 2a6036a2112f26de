"""One stay, played from admission to discharge or death: what the ward and the municipality
send, and when (the steps), with the stay's deliberate gaps.

The shares are in figures.py; the timing rules are those of checklist.md (working days, a
discharge before a weekend) read from `overgang.checklist.calendar`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from overgang.checklist.calendar import WorkCalendar
from overgang.domain.content import DischargeContent
from overgang.simulate import content, figures
from overgang.simulate.citizens import Citizen
from overgang.simulate.region import Municipality, Region, Ward

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CALENDAR = WorkCalendar()
Outcome = Literal["discharged", "died", "cancelled"]
Answer = Literal["in-time", "late", "not-ready", "none"]
ANSWERS: tuple[Answer, ...] = ("in-time", "late", "not-ready", "none")


@dataclass(frozen=True)
class Notice:
    """A HospitalNotification (STIN, STAA, STOR, SLOR, SLHJ, MORS, RE_x, AN_x)."""

    code: str
    number: int  # the stay's notices count 0, 1, 2, ...
    sent_at: datetime
    encounter_class: str
    status: str
    start: datetime
    end: datetime | None = None
    leave_start: datetime | None = None
    leave_end: datetime | None = None
    follows: int | None = None  # the number of the notice this one follows
    deceased: bool = False


@dataclass(frozen=True)
class Document:
    """A discharge-plan or discharge-handover message."""

    kind: Literal["discharge-plan", "discharge-handover"]
    sent_at: datetime
    encounter_class: str
    start: datetime
    content: DischargeContent


@dataclass(frozen=True)
class Readiness:
    """The municipality's answer to a discharge plan."""

    sent_at: datetime
    ready: bool
    ready_from: date | None = None
    reason: str | None = None


Step = Notice | Document | Readiness


@dataclass(frozen=True)
class Stay:
    key: str
    citizen: Citizen
    ward: Ward
    municipality: Municipality
    transport: Literal["fhir", "json"]
    admitted_at: datetime
    outcome: Outcome
    ended_at: datetime  # discharge, death or cancellation
    readmission_of: str | None
    steps: tuple[Step, ...]
    gaps: frozenset[str]
    answer: Answer | None = None  # the municipality's, when a plan was sent
    plan: Literal["in-time", "late", "missing"] | None = None
    weekend_discharge: bool = False

    @property
    def discharged_at(self) -> datetime | None:
        return self.ended_at if self.outcome == "discharged" else None


class _Steps:
    """The steps of a stay as they are drawn; notices numbered in the order they are sent."""

    def __init__(self) -> None:
        self.items: list[Step] = []
        self.notices: list[Notice] = []

    def notice(
        self,
        code: str,
        sent_at: datetime,
        cls: str,
        status: str,
        start: datetime,
        *,
        end: datetime | None = None,
        follows: bool = True,
        leave_start: datetime | None = None,
        leave_end: datetime | None = None,
        deceased: bool = False,
    ) -> None:
        previous = self.notices[-1].number if follows and self.notices else None
        notice = Notice(
            code=code,
            number=len(self.notices),
            sent_at=sent_at,
            encounter_class=cls,
            status=status,
            start=start,
            end=end,
            leave_start=leave_start,
            leave_end=leave_end,
            follows=previous,
            deceased=deceased,
        )
        self.notices.append(notice)
        self.items.append(notice)

    @property
    def last_sent(self) -> datetime:
        return self.notices[-1].sent_at

    def ordered(self) -> tuple[Step, ...]:
        return tuple(sorted(self.items, key=lambda step: step.sent_at))


def play_stay(
    region: Region,
    *,
    key: str,
    citizen: Citizen,
    admitted_at: datetime,
    readmission_of: str | None,
    rng: random.Random,
) -> Stay:
    """One stay of `citizen`, admitted at `admitted_at`."""
    wards = region.child_youth_wards if citizen.child_youth else region.adult_wards
    ward = rng.choice(wards)
    municipality = rng.choices(
        region.municipalities, weights=[m.inhabitants for m in region.municipalities]
    )[0]
    transport: Literal["fhir", "json"] = "json" if rng.random() < figures.JSON_SENDER else "fhir"
    steps = _Steps()

    def stay(outcome: Outcome, ended_at: datetime, **more: object) -> Stay:
        return Stay(
            key=key,
            citizen=citizen,
            ward=ward,
            municipality=municipality,
            transport=transport,
            admitted_at=start,
            outcome=outcome,
            ended_at=ended_at,
            readmission_of=readmission_of,
            steps=steps.ordered(),
            **more,  # type: ignore[arg-type]
        )

    def sent(moment: datetime) -> datetime:
        return moment + timedelta(minutes=rng.uniform(1, 6))

    start, cls = admitted_at, "IMP"
    if rng.random() < figures.ACUTE_AMBULATORY:
        steps.notice("STAA", sent(start), "EMER", "in-progress", start)
        if rng.random() >= figures.ACUTE_AMBULATORY_ADMITTED:  # home again the same day
            end = start + timedelta(hours=rng.uniform(3, 8))
            steps.notice("SLHJ", sent(end), "EMER", "finished", start, end=end)
            return stay("discharged", end, gaps=frozenset())
        steps.notice(
            "STIN", sent(start + timedelta(hours=rng.uniform(2, 6))), cls, "in-progress", start
        )
    else:
        steps.notice("STIN", sent(start), cls, "in-progress", start, follows=False)

    roll = rng.random()
    if roll < figures.CANCELLED_ADMISSION:
        cancelled_at = steps.last_sent + timedelta(minutes=rng.uniform(20, 180))
        steps.notice("AN_STIN", cancelled_at, cls, "entered-in-error", start)
        return stay("cancelled", cancelled_at, gaps=frozenset())
    if roll < figures.CANCELLED_ADMISSION + figures.CORRECTED_ADMISSION:
        start = start - timedelta(minutes=rng.randint(15, 90))
        steps.notice(
            "RE_STIN",
            steps.last_sent + timedelta(hours=rng.uniform(1, 20)),
            cls,
            "in-progress",
            start,
        )

    days = min(rng.lognormvariate(_lognormal_mu(), figures.STAY_DAYS_SIGMA), 180.0)
    planned = _discharge_time(start + timedelta(days=days), start, rng)
    needs = content.draw_needs(rng)
    plan_sent, plan_timing = _plan_time(planned, start, citizen.child_youth, rng)
    answer, readiness, waited_until = _answer(plan_sent, planned, rng)
    discharge = waited_until or planned

    if rng.random() < figures.DEATH:
        died = max(
            start + (discharge - start) * rng.uniform(0.2, 0.9),
            steps.last_sent + timedelta(hours=1),
        )
        steps.notice("MORS", sent(died), cls, "finished", start, end=died, deceased=True)
        return stay("died", died, gaps=frozenset())

    _leave(steps, start, discharge, cls, rng)
    weekend = is_weekend_discharge(discharge)
    agreed = weekend and rng.random() < figures.WEEKEND_AGREED
    final = content.handover(
        needs,
        discharge_at=discharge,
        child_youth=citizen.child_youth,
        agreed=agreed,
        municipality_sor=municipality.sor,
        rng=rng,
    )
    if plan_sent is not None:
        plan = content.plan(final, planned_at=planned)
        steps.items.append(Document("discharge-plan", plan_sent, cls, start, plan))
    if readiness is not None:
        steps.items.append(readiness)
    steps.notice("SLHJ", sent(discharge), cls, "finished", start, end=discharge)
    if rng.random() < figures.CORRECTED_DISCHARGE:
        discharge = discharge - timedelta(minutes=rng.randint(15, 60))
        final = replace(final, discharge_at=discharge)
        steps.notice(
            "RE_SLHJ",
            steps.last_sent + timedelta(minutes=rng.uniform(5, 15)),
            cls,
            "finished",
            start,
            end=discharge,
        )
    if rng.random() >= figures.NO_HANDOVER:
        handed = steps.last_sent + timedelta(minutes=rng.uniform(5, 40))
        steps.items.append(Document("discharge-handover", handed, cls, start, final))
    return stay(
        "discharged",
        discharge,
        gaps=needs.gaps,
        answer=answer,
        plan=plan_timing,
        weekend_discharge=weekend,
    )


def is_weekend_discharge(moment: datetime) -> bool:
    """checklist.md: Friday or the day before a holiday from 12:00, a weekend or a holiday."""
    local = moment.astimezone(COPENHAGEN)
    day = local.date()
    if not CALENDAR.is_working_day(day):
        return True
    tomorrow = day + timedelta(days=1)
    afternoon = local.time() >= time(12)
    return afternoon and (day.weekday() == 4 or CALENDAR.closed_reason(tomorrow) is not None)


def _lognormal_mu() -> float:
    return math.log(figures.MEAN_STAY_DAYS) - figures.STAY_DAYS_SIGMA**2 / 2


def _at(day: date, rng: random.Random, earliest: float, latest: float) -> datetime:
    hours = rng.uniform(earliest, latest)
    return datetime.combine(day, time(0), COPENHAGEN) + timedelta(hours=hours)


def _discharge_time(target: datetime, start: datetime, rng: random.Random) -> datetime:
    """Wards discharge in the daytime on working days; a tenth of discharges fall on a Friday
    afternoon or a weekend (assumed share)."""
    if target - start < timedelta(days=1):
        return max(target, start + timedelta(hours=5))
    day = target.astimezone(COPENHAGEN).date()
    if rng.random() < figures.WEEKEND_DISCHARGE:
        while day.weekday() < 4:
            day += timedelta(days=1)
        return _at(day, rng, 12.5, 16) if day.weekday() == 4 else _at(day, rng, 10, 15)
    while not CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    before_closed = day.weekday() == 4 or not CALENDAR.is_working_day(day + timedelta(days=1))
    return _at(day, rng, 9, 11.75 if before_closed else 14.5)


def _plan_time(
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
    sent = max(_at(day, rng, 9, 15), start + timedelta(hours=rng.uniform(2, 6)))
    if sent >= planned - timedelta(hours=1):
        return None, "missing"
    ahead = CALENDAR.working_days_between(
        sent.astimezone(COPENHAGEN).date(), planned.astimezone(COPENHAGEN).date()
    )
    return sent, "in-time" if ahead >= needed else "late"


def _answer(
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
        waited = _at(ready_from, rng, 9, 11.75)
    return kind, Readiness(sent, True, ready_from=ready_from), waited


def _leave(
    steps: _Steps, start: datetime, discharge: datetime, cls: str, rng: random.Random
) -> None:
    """A weekend at home (STOR on Friday afternoon, SLOR on Sunday evening) in a long stay."""
    if discharge - start < timedelta(days=7) or rng.random() >= figures.LEAVE:
        return
    day = (start + timedelta(days=3)).astimezone(COPENHAGEN).date()
    while day.weekday() != 4:
        day += timedelta(days=1)
    leave_start, leave_end = _at(day, rng, 14, 16), _at(day + timedelta(days=2), rng, 17, 19)
    if leave_end > discharge - timedelta(days=1):
        return
    steps.notice(
        "STOR", leave_start + timedelta(minutes=3), cls, "onleave", start, leave_start=leave_start
    )
    steps.notice(
        "SLOR",
        leave_end + timedelta(minutes=3),
        cls,
        "in-progress",
        start,
        leave_start=leave_start,
        leave_end=leave_end,
    )
