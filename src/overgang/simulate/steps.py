"""The steps of a simulated stay: what the ward and the municipality send, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from overgang.domain.content import DischargeContent
from overgang.simulate.citizens import Citizen
from overgang.simulate.region import Municipality, Ward

Outcome = Literal["discharged", "died", "cancelled"]
Answer = Literal["in-time", "late", "not-ready", "none"]


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
