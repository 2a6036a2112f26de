"""When an episode is judged against the checklist, and which discharge time is judged.

The one home of both rules: intake, a readiness answer and the ward's pre-flight all ask here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

JudgedTime = Literal["planned", "actual"]

PLAN = "discharge-plan"
READINESS = "readiness"  # the municipality answered the plan
# Notices after which the actual discharge time is judged.
DISCHARGES = frozenset({"discharge-handover", "SLHJ", "RE_SLHJ"})


def is_judged(code: str, *, judged_before: bool) -> bool:
    """Plans, discharges and readiness answers are judged; a correction or cancellation judges
    again an episode that was judged before (it may move the discharge time)."""
    if code in (PLAN, READINESS) or code in DISCHARGES:
        return True
    return judged_before and code.startswith(("RE_", "AN_"))


def judged_time_for(trigger: str, *, discharged: bool) -> JudgedTime:
    """A plan is judged at its planned time; a discharge at the actual one; anything else at
    the actual time once the citizen is discharged, else at the planned one."""
    if trigger == PLAN:
        return "planned"
    if trigger in DISCHARGES or discharged:
        return "actual"
    return "planned"


def judged_discharge_at(
    judged: JudgedTime, *, planned_at: datetime | None, discharged_at: datetime | None
) -> datetime | None:
    """The discharge time the checklist's timing rules measure against."""
    return discharged_at if judged == "actual" else planned_at
