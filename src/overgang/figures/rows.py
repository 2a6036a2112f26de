"""The plain rows the figures are computed from, as `storage.figures` reads them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Appointment:
    kind: str | None
    start: datetime | None
    status: str | None


@dataclass(frozen=True, kw_only=True)
class ChecklistOutcome:
    """The result current at discharge: `complete` and each item's status."""

    complete: bool
    items: tuple[tuple[str, str], ...]  # (item id, met | missing | not-applicable)

    @classmethod
    def from_json(cls, *, complete: bool, result: Mapping[str, Any]) -> ChecklistOutcome:
        items = tuple((str(i["id"]), str(i["status"])) for i in result.get("items") or ())
        return cls(complete=complete, items=items)


@dataclass(frozen=True, kw_only=True)
class EpisodeRow:
    """One episode, with what the figures need of it (no name, no content beyond that)."""

    episode_id: uuid.UUID
    citizen: str | None  # the CPR number or, once pseudonymised, the citizen key
    municipality: str  # the citizen's municipality code, as routed
    ward: str  # SOR of the ward that ended the episode (else the one that started it)
    state: str
    admitted_at: datetime | None
    ended_at: datetime | None  # discharge or death
    planned_discharge_at: datetime | None = None
    weekend_discharge_agreed: bool = False
    appointments: tuple[Appointment, ...] = ()
    checklist: ChecklistOutcome | None = None
    first_plan_at: datetime | None = None  # arrival of the first discharge plan
    first_answer_at: datetime | None = None  # arrival of the first readiness answer
    ready: bool | None = None  # the newest answer
    ready_from: date | None = None

    @property
    def died(self) -> bool:
        return self.state == "deceased"


def appointments_from_content(content: Mapping[str, Any] | None) -> tuple[Appointment, ...]:
    """The appointments of stored discharge content (`DischargeContent.to_json`)."""
    found = []
    for item in (content or {}).get("appointments") or ():
        start = item.get("start")
        found.append(
            Appointment(
                kind=item.get("appointment_type"),
                start=datetime.fromisoformat(start) if start else None,
                status=item.get("status"),
            )
        )
    return tuple(found)
