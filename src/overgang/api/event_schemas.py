"""The plain JSON form of a hospital event (`POST /api/v1/events`), for systems without FHIR.

It carries the same facts as the FHIR messages and is turned into the same domain objects, so
both routes give the same episode, inbox messages and answers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from overgang.domain import identifiers, limits
from overgang.domain.content import DischargeContent
from overgang.domain.messages import (
    EncounterFacts,
    EpisodeKey,
    InboundMessage,
    MessageKind,
    OrganisationRef,
    ProvenanceStep,
)

EventType = Literal[
    "admission",
    "leave-start",
    "leave-end",
    "discharge",
    "death",
    "discharge-plan",
    "discharge-handover",
]
# The MedCom activity each event type stands for, per encounter class (brief.md §4).
ACTIVITY = {
    ("admission", "IMP"): "admit-inpatient",
    ("admission", "EMER"): "admit-emergency",
    ("leave-start", "IMP"): "start-leave-inpatient",
    ("leave-end", "IMP"): "end-leave-inpatient",
    ("discharge", "IMP"): "discharge-inpatient-home",
    ("discharge", "EMER"): "discharge-emergency-home",
    # Death has no activity of its own: MedCom repeats the admission's, with deceased = true.
    ("death", "IMP"): "admit-inpatient",
    ("death", "EMER"): "admit-emergency",
}
STATUS = {
    "admission": "in-progress",
    "leave-start": "onleave",
    "leave-end": "in-progress",
    "discharge": "finished",
    "death": "finished",
    "discharge-plan": "in-progress",
    "discharge-handover": "finished",
}


def _refused_by(problem: Callable[[Any], str | None]) -> AfterValidator:
    """A validator raising the reason an `overgang.domain.limits` check gives."""

    def check(value: Any) -> Any:
        reason = problem(value)
        if reason is not None:
            raise ValueError(reason)
        return value

    return AfterValidator(check)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339_text(value: Any) -> Any:
    # Pydantic's lax mode reads 0 or "0" as 1970-01-01: a timestamp must be written out.
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with a timezone")
    return value


# Becomes Bundle.id and MessageHeader.id of the message the municipality gets: a FHIR id.
FhirId = Annotated[str, Field(pattern=limits.ID_PATTERN)]
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    _refused_by(limits.time_problem),
    Field(
        description=f"RFC 3339 with a timezone, in the years {limits.EARLIEST_YEAR} to "
        f"{limits.LATEST_YEAR}."
    ),
]
_IDENTIFIER_CHARACTERS = (
    "Printable characters only: no control, bidirectional, zero-width or other invisible "
    "characters, and no space at either end."
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EpisodeIdentifierIn(Strict):
    system: Annotated[str, _refused_by(limits.identifier_system_problem)] = Field(
        min_length=1,
        max_length=limits.MAX_IDENTIFIER_SYSTEM_LENGTH,
        examples=["https://sor2.sum.dsdn.dk/#id=1144561000016002"],
        description="The hospital's SOR endpoint for its local id, or the LPR3 system. A URI: "
        f"no whitespace. {_IDENTIFIER_CHARACTERS}",
    )
    value: Annotated[str, _refused_by(limits.identifier_value_problem)] = Field(
        min_length=1,
        max_length=limits.MAX_IDENTIFIER_VALUE_LENGTH,
        description=_IDENTIFIER_CHARACTERS,
    )


class EncounterIn(Strict):
    encounter_class: Literal["IMP", "EMER"] = Field(
        alias="class", description="IMP: admitted; EMER: acute ambulatory."
    )
    start: Timestamp
    end: Timestamp | None = Field(
        default=None, description="Discharge or death time; in a discharge-plan the planned time."
    )
    leave_start: Timestamp | None = None
    leave_end: Timestamp | None = None


class ReceiverIn(Strict):
    sor: str = Field(
        pattern=f"^{identifiers.SOR_PATTERN}$",
        description="The receiving municipality's SOR id (routing is by SOR).",
    )
    gln: str | None = Field(default=None, pattern=f"^{identifiers.GLN_PATTERN}$")


class EventIn(Strict):
    """One event of a stay. Corrections and cancellations name the event they replace."""

    event_id: FhirId = Field(
        description="New for every event, kept on a resend (the duplicate key, like "
        "MessageHeader.id).",
    )
    type: EventType
    timestamp: Timestamp = Field(description="When the hospital sent it (its own clock).")
    corrects: FhirId | None = Field(
        default=None, description="event_id of the event this corrects."
    )
    cancels: FhirId | None = Field(default=None, description="event_id of the event this cancels.")
    follows: FhirId | None = Field(
        default=None, description="event_id of the latest earlier event of the stay, if any."
    )
    receiver: ReceiverIn
    cpr: str = Field(description="The citizen's CPR number, with or without the hyphen.")
    deceased: bool = False
    episode_identifiers: list[EpisodeIdentifierIn] = Field(min_length=1, max_length=5)
    encounter: EncounterIn
    content: DischargeContent | None = Field(
        default=None,
        description="For discharge-plan and discharge-handover: plans, medication, appointments, "
        "contacts... `discharge_at` is taken from encounter.end.",
    )

    @field_validator("cpr")
    @classmethod
    def _valid_cpr(cls, value: str) -> str:
        return identifiers.normalise_cpr(value)

    @model_validator(mode="after")
    def _consistent(self) -> EventIn:
        if self.corrects and self.cancels:
            raise ValueError("an event corrects or cancels, not both")
        if self.type.startswith("discharge-"):
            if self.corrects or self.cancels:
                raise ValueError("a discharge plan or handover is replaced by sending a new one")
        elif (self.type, self.encounter.encounter_class) not in ACTIVITY:
            raise ValueError(
                f"{self.type} does not exist for encounter class {self.encounter.encounter_class}"
            )
        if self.content is not None and not self.type.startswith("discharge-"):
            raise ValueError("content belongs to discharge-plan and discharge-handover events")
        return self

    def to_message(self, *, sender: OrganisationRef) -> InboundMessage:
        """The domain message this event stands for, as if it had come as FHIR."""
        encounter = self.encounter
        kind = (
            MessageKind(self.type)
            if self.type.startswith("discharge-")
            else MessageKind.HOSPITAL_NOTIFICATION
        )
        content = None
        if kind is not MessageKind.HOSPITAL_NOTIFICATION:
            content = dataclasses.replace(
                self.content or DischargeContent(), discharge_at=encounter.end
            )
        keys = tuple(
            EpisodeKey(
                system=key.system, value=identifiers.normalise_episode_identifier_value(key.value)
            )
            for key in self.episode_identifiers
        )
        status = STATUS[self.type]
        if self.cancels and self.type == "admission":
            status = "entered-in-error"
        return InboundMessage(
            kind=kind,
            bundle_id=self.event_id,
            header_id=self.event_id,
            timestamp=self.timestamp,
            sender=sender,
            receiver=OrganisationRef(sor=self.receiver.sor, gln=self.receiver.gln),
            cpr=self.cpr,
            deceased=self.deceased or (self.type == "death" and not self.cancels),
            encounter=EncounterFacts(
                status=status,
                encounter_class=encounter.encounter_class,
                episode_keys=keys,
                period_start=encounter.start,
                period_end=encounter.end,
                leave_start=encounter.leave_start,
                leave_end=encounter.leave_end,
            ),
            provenance=self._provenance(kind),
            content=content,
        )

    def _provenance(self, kind: MessageKind) -> ProvenanceStep:
        if kind is not MessageKind.HOSPITAL_NOTIFICATION:
            return ProvenanceStep(activity=kind.value, occurred_at=self.timestamp)
        activity = ACTIVITY[(self.type, self.encounter.encounter_class)]
        follows, prefix, role = self.follows, "", "revision" if self.follows else None
        if self.corrects:
            follows, prefix, role = self.corrects, "revise-", "revision"
        elif self.cancels:
            follows, prefix, role = self.cancels, "cancel-", "removal"
        if self.type == "death":
            prefix = ""  # MORS, RE_MORS and AN_MORS repeat the admission's activity (MedCom)
        return ProvenanceStep(
            activity=prefix + activity,
            role=role,
            follows_header_id=follows,
            occurred_at=self.timestamp,
        )


class EventAccepted(BaseModel):
    event_id: str
    duplicate: bool = Field(
        description="True when this event_id was already accepted: nothing changed."
    )
    notification_code: str | None
    warnings: list[str]
