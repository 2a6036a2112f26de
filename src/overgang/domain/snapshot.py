"""The episode's whole state at one point in time: what the transition checklist judges.

Built by the service layer from the episode's stored events; plain values, so the checklist rules
stay pure functions with no database and no FHIR inside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from overgang.domain.content import DischargeContent


@dataclass(frozen=True)
class Readiness:
    """The municipality's answer to a discharge plan: ready (from a date) or not (and why)."""

    ready: bool
    ready_from: date | None
    reason: str | None
    answered_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.answered_at, "answered_at")


@dataclass(frozen=True)
class EpisodeSnapshot:
    """What the checklist judges: the episode's whole state at one point in time."""

    # The time judged: planned (at discharge-plan) or actual (at discharge-handover / SLHJ).
    discharge_at: datetime | None = None
    # A STIN/STAA of the episode was routed to the municipality, whenever it came.
    admission_notified: bool = False
    # Bundle.timestamp of the EARLIEST discharge-plan: lead time counts from it.
    first_plan_sent_at: datetime | None = None
    # The newest plan/handover content (empty when there is none).
    content: DischargeContent = field(default_factory=DischargeContent)
    # The municipality's newest readiness answer.
    readiness: Readiness | None = None
    # SOR ids of the addressed municipality: recognise a municipal meeting participant
    # (Appointment.participant_organisation_sors) and a municipal performer
    # (PlanActivity.responsible == "organisation:<SOR>").
    municipality_sors: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _require_aware(self.discharge_at, "discharge_at")
        _require_aware(self.first_plan_sent_at, "first_plan_sent_at")


def _require_aware(value: datetime | None, name: str) -> None:
    # A naive time cannot be placed on the Copenhagen calendar without guessing.
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
