"""Request and response bodies of the REST API (`/api/v1`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class InboxItemOut(BaseModel):
    id: uuid.UUID
    sequence: int = Field(description="Gapless per municipality: a gap means a missed message.")
    kind: Literal["hospital-notification", "discharge-plan", "handover"]
    notification_code: str | None = Field(
        description="For hospital notifications: STIN, STAA, STOR, SLOR, SLHJ, MORS, RE_x or AN_x."
    )
    episode: str | None = Field(
        description="The episode identifier value (the hospital's local one); null once the "
        "episode is pseudonymised (retention)."
    )
    cpr: str | None = Field(description="Null once the episode is pseudonymised (retention).")
    status: Literal["pending", "delivered", "acknowledged", "rejected"]
    created_at: datetime
    acknowledged_at: datetime | None = None
    reject_reason: str | None = None
    checklist: dict[str, Any] | None = None
    payload_deleted_at: datetime | None = Field(
        default=None, description="When retention emptied the message: it can no longer be read."
    )


class InboxMessageOut(InboxItemOut):
    message: dict[str, Any] = Field(description="The FHIR message Bundle, as routed.")


class InboxPageOut(BaseModel):
    items: list[InboxItemOut]
    next_cursor: str | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["accepted", "rejected"]
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_with_rejection(self) -> AckIn:
        if self.status == "rejected" and not (self.reason and self.reason.strip()):
            raise ValueError("a rejection needs a reason")
        return self


class AckOut(BaseModel):
    id: uuid.UUID
    status: str
    acknowledged_at: datetime | None
    reject_reason: str | None


class TimelineEventOut(BaseModel):
    code: str
    header_id: str
    occurred_at: datetime
    message_timestamp: datetime
    follows_header_id: str | None
    replaced_by_header_id: str | None = Field(description="Set when corrected or cancelled.")
    details: dict[str, Any]


class DeliveryOut(BaseModel):
    id: uuid.UUID
    kind: str
    notification_code: str | None
    status: str
    created_at: datetime
    delivered_at: datetime | None = Field(description="When a push to the municipality succeeded.")
    acknowledged_at: datetime | None
    reject_reason: str | None
    follow_up_flagged_at: datetime | None = Field(
        description="Delivered but not acknowledged in time: needs follow-up with the municipality."
    )
    undelivered_reported_at: datetime | None = Field(
        default=None,
        description="Not acknowledged days after it was sent (OVERGANG_RETENTION_UNDELIVERED_"
        "REPORT_DAYS): reported to the ward; its payload is deleted when retention says so.",
    )


class EpisodeOut(BaseModel):
    episode: str
    identifiers: list[dict[str, str]]
    state: str
    cpr: str
    encounter_class: str | None
    admitted_at: datetime | None
    planned_discharge_at: datetime | None
    discharged_at: datetime | None
    hospital_sor: str
    municipality_code: str | None
    timeline: list[TimelineEventOut]
    messages_to_municipality: list[DeliveryOut]
    content: dict[str, Any] | None
    readiness: ReadinessOut | None = Field(description="The municipality's newest answer.")
    checklist: EvaluationOut | None = Field(description="The current (newest) checklist result.")


class ReadinessOut(BaseModel):
    ready: bool
    ready_from: date | None
    reason: str | None
    answered_at: datetime


class EvaluationOut(BaseModel):
    evaluated_at: datetime
    trigger: str = Field(
        description="What made Overgang judge: discharge-plan, SLHJ, readiness ..."
    )
    judged: Literal["planned", "actual"]
    discharge_at: datetime | None
    result: dict[str, Any] = Field(description="The checklist result (profile §4 shape).")


class ReadinessIn(BaseModel):
    """The municipality's answer to a discharge plan."""

    model_config = ConfigDict(extra="forbid")

    ready: bool
    ready_from: date | None = Field(
        default=None, description="From which date the municipality is ready to take over."
    )
    reason: str | None = Field(
        default=None, max_length=2000, description="Why not ready (required when ready is false)."
    )

    @model_validator(mode="after")
    def _reason_when_not_ready(self) -> ReadinessIn:
        if not self.ready and not (self.reason and self.reason.strip()):
            raise ValueError("an answer of not ready needs a reason")
        return self


class ChecklistItemOut(BaseModel):
    id: str
    severity: Literal["required", "recommended"]
    status: Literal["met", "missing", "not-applicable"]
    title: str | None = Field(default=None, description="The item's Danish title.")
    explanation: str | None = Field(
        default=None, description="For a missing item: what would satisfy it (Danish)."
    )


class ChecklistOut(BaseModel):
    id: str
    version: str
    complete: bool = Field(description="True when no required item is missing.")
    items: list[ChecklistItemOut]


class PreflightOut(BaseModel):
    episode: str
    judged: Literal["planned", "actual"] = Field(
        description="planned: if the ward discharges at the planned time; actual: as discharged."
    )
    discharge_at: datetime | None
    checklist: ChecklistOut
