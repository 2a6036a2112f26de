"""An episode's timeline and the state it gives, following MedCom's HospitalNotification rules.

The state follows the events' own times, not the order they arrived in: a late admission notice
only enters the history. Corrections (RE_x) replace the notice they follow; cancellations (AN_x)
remove it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from overgang.domain.messages import InboundMessage, MessageKind, ProvenanceStep

# MedCom activity code -> HospitalNotification code (brief.md §4).
NOTICE_BY_ACTIVITY = {
    "admit-inpatient": "STIN",
    "admit-emergency": "STAA",
    "start-leave-inpatient": "STOR",
    "end-leave-inpatient": "SLOR",
    "discharge-inpatient-home": "SLHJ",
    "discharge-emergency-home": "SLHJ",
}
ADMISSIONS = frozenset({"STIN", "STAA"})


class EpisodeState(StrEnum):
    ADMITTED = "admitted"
    ON_LEAVE = "on-leave"
    DISCHARGED = "discharged"
    DECEASED = "deceased"
    CANCELLED = "cancelled"  # the admission itself was cancelled (entered in error)


STATE_AFTER = {
    "STIN": EpisodeState.ADMITTED,
    "STAA": EpisodeState.ADMITTED,
    "SLOR": EpisodeState.ADMITTED,
    "STOR": EpisodeState.ON_LEAVE,
    "SLHJ": EpisodeState.DISCHARGED,
    "discharge-handover": EpisodeState.DISCHARGED,
    "MORS": EpisodeState.DECEASED,
}


class UnknownActivity(ValueError):
    """The message's own Provenance names an activity that is no HospitalNotification."""


@dataclass(frozen=True)
class TimelineEvent:
    code: str  # STIN ... MORS, RE_x, AN_x, discharge-plan, discharge-handover
    header_id: str
    occurred_at: datetime
    message_timestamp: datetime
    target_header_id: str | None = None
    replaced_by_header_id: str | None = None

    @property
    def base_code(self) -> str:
        """What the event stands for once corrections are read as the notice they correct."""
        return self.code.removeprefix("RE_")

    @property
    def is_cancellation(self) -> bool:
        return self.code.startswith("AN_")


def notification_code(*, step: ProvenanceStep, deceased: bool, followed_code: str | None) -> str:
    """The HospitalNotification code (STIN, RE_STOR, AN_MORS ...) of a message.

    MORS has no activity of its own: it repeats the current one with Patient.deceased = true,
    so death, its correction and its cancellation are told apart by the flag, the entity role
    and the notice that the message follows.
    """
    activity = step.activity
    for prefix, marker in (("revise-", "RE_"), ("cancel-", "AN_")):
        if activity.startswith(prefix):
            base = NOTICE_BY_ACTIVITY.get(activity.removeprefix(prefix))
            if base is None:
                break
            if deceased and marker == "RE_" and followed_code in ("MORS", "RE_MORS"):
                return "RE_MORS"
            return marker + base
    else:
        base = NOTICE_BY_ACTIVITY.get(activity)
        if base is not None:
            if step.role == "removal":
                return "AN_MORS" if followed_code in ("MORS", "RE_MORS") else "AN_" + base
            if deceased:
                return "RE_MORS" if followed_code in ("MORS", "RE_MORS") else "MORS"
            return base
    raise UnknownActivity(f"activity '{activity}' is not a HospitalNotification activity")


def event_time(code: str, message: InboundMessage) -> datetime:
    """When the event happened in the world, by the message's own clock."""
    encounter = message.encounter
    base = code.removeprefix("RE_")
    candidates = {
        "STIN": encounter.period_start,
        "STAA": encounter.period_start,
        "STOR": encounter.leave_start,
        "SLOR": encounter.leave_end,
        "SLHJ": encounter.period_end,
        "MORS": encounter.period_end,
        MessageKind.DISCHARGE_HANDOVER.value: encounter.period_end,
    }.get(base)
    return candidates or message.provenance.occurred_at or message.timestamp


def add_event(timeline: Sequence[TimelineEvent], new: TimelineEvent) -> list[TimelineEvent]:
    """The timeline with `new` added; a correction or cancellation marks the notice it follows."""
    updated = [
        replace(event, replaced_by_header_id=new.header_id)
        if (new.code.startswith(("RE_", "AN_")) and event.header_id == new.target_header_id)
        else event
        for event in timeline
    ]
    updated.append(new)
    return updated


def current_events(timeline: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    """The events still in force, in the order they happened."""
    live = [e for e in timeline if e.replaced_by_header_id is None and not e.is_cancellation]
    return sorted(live, key=lambda e: (e.occurred_at, e.message_timestamp))


def derive_state(timeline: Sequence[TimelineEvent]) -> EpisodeState:
    """The episode's state after all events in force, taken in the order they happened."""
    state: EpisodeState | None = None
    for event in current_events(timeline):
        state = STATE_AFTER.get(event.base_code, state)
    if state is not None:
        return state
    if any(event.is_cancellation for event in timeline):
        return EpisodeState.CANCELLED  # the admission itself was entered in error
    return EpisodeState.ADMITTED  # known so far only from a plan: the stay is ongoing


def latest_notice(timeline: Sequence[TimelineEvent]) -> TimelineEvent | None:
    """The newest HospitalNotification in force, by arrival: the only one a correction may follow."""
    notices = [
        e
        for e in timeline
        if e.replaced_by_header_id is None
        and not e.is_cancellation
        and not e.code.startswith("discharge-")
    ]
    return max(notices, key=lambda e: e.message_timestamp, default=None)
