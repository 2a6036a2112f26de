"""One stay, played from admission to discharge or death: the steps the ward and the
municipality send, with the stay's deliberate gaps (shares in figures.py, times in timing.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from overgang.simulate import content, figures
from overgang.simulate.citizens import Citizen
from overgang.simulate.region import Region
from overgang.simulate.steps import (
    Answer,
    Document,
    Notice,
    Outcome,
    Readiness,
    Stay,
    Step,
)
from overgang.simulate.timing import (
    COPENHAGEN,
    at,
    discharge_time,
    is_weekend_discharge,
    lognormal_mu,
    plan_time,
)
from overgang.simulate.timing import (
    answer as municipal_answer,
)

__all__ = ["Answer", "Document", "Notice", "Readiness", "Stay", "Step", "play_stay"]


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

    days = min(rng.lognormvariate(lognormal_mu(), figures.STAY_DAYS_SIGMA), 180.0)
    planned = discharge_time(start + timedelta(days=days), start, rng)
    needs = content.draw_needs(rng)
    plan_sent, plan_timing = plan_time(planned, start, citizen.child_youth, rng)
    answered, readiness, waited_until = municipal_answer(plan_sent, planned, rng)
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
        answer=answered,
        plan=plan_timing,
        weekend_discharge=weekend,
    )


def _leave(
    steps: _Steps, start: datetime, discharge: datetime, cls: str, rng: random.Random
) -> None:
    """A weekend at home (STOR on Friday afternoon, SLOR on Sunday evening) in a long stay."""
    if discharge - start < timedelta(days=7) or rng.random() >= figures.LEAVE:
        return
    day = (start + timedelta(days=3)).astimezone(COPENHAGEN).date()
    while day.weekday() != 4:
        day += timedelta(days=1)
    leave_start, leave_end = at(day, rng, 14, 16), at(day + timedelta(days=2), rng, 17, 19)
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
