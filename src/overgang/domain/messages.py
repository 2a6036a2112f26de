"""What an inbound message says, once read: plain values, no FHIR objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from overgang.domain.content import DischargeContent
from overgang.domain.issues import Issue

# A hospital's own episode identifiers have its SOR endpoint as their system.
LOCAL_SYSTEM_PREFIX = "https://sor2.sum.dsdn.dk/"


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
        return self.system.startswith(LOCAL_SYSTEM_PREFIX)


def local_system(sor: str) -> str:
    """The system of the local episode identifiers a hospital (by its SOR) hands out."""
    return f"{LOCAL_SYSTEM_PREFIX}#id={sor}"


_T = TypeVar("_T")


def local_first(items: Iterable[_T], key: Callable[[_T], EpisodeKey]) -> list[_T]:
    """The hospital's own (local) identifier wins over a national one; otherwise order is kept.

    The one home of that preference: matching a message to its episode, finding an episode by
    identifier value and naming an episode to the municipality all order by it.
    """
    return sorted(items, key=lambda item: not key(item).is_local)


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
