"""What an inbound message says, once read: plain values, no FHIR objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from overgang.domain.content import DischargeContent
from overgang.domain.issues import Issue


class MessageKind(StrEnum):
    HOSPITAL_NOTIFICATION = "hospital-notification"
    DISCHARGE_PLAN = "discharge-plan"
    DISCHARGE_HANDOVER = "discharge-handover"


@dataclass(frozen=True)
class OrganisationRef:
    """An organisation as a message names it: SOR and GLN identifiers, and its display name."""

    sor: str | None
    gln: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class EpisodeKey:
    """An episode-of-care identifier, value normalised (no `urn:uuid:`, lower case)."""

    system: str
    value: str

    @property
    def is_local(self) -> bool:
        # The hospital's own identifier has the SOR endpoint as its system.
        return self.system.startswith("https://sor2.sum.dsdn.dk/")


@dataclass(frozen=True)
class ProvenanceStep:
    """The message's own Provenance: what it does, and which earlier message it follows."""

    activity: str
    role: str | None = None  # revision | removal
    follows_header_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class EncounterFacts:
    status: str
    encounter_class: str
    episode_keys: tuple[EpisodeKey, ...]
    period_start: datetime | None
    period_end: datetime | None
    leave_start: datetime | None = None
    leave_end: datetime | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A validated hospital message, reduced to the facts Overgang acts on."""

    kind: MessageKind
    bundle_id: str
    header_id: str
    timestamp: datetime
    sender: OrganisationRef
    receiver: OrganisationRef
    cpr: str
    deceased: bool
    encounter: EncounterFacts
    provenance: ProvenanceStep
    content: DischargeContent | None = None
    warnings: tuple[Issue, ...] = field(default_factory=tuple)
