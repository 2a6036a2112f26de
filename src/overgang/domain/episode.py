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
ENDINGS = frozenset({"SLHJ", "MORS", MessageKind.DISCHARGE_HANDOVER.value})


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

    MORS has no activity of its own: it repeats the activity of the message it follows, whatever
    that was (a `revise-` or `cancel-` code too), so death, its correction and its cancellation
    are told apart by the flag, the entity role and the notice that the message follows.
    """
    activity = step.activity
    base = NOTICE_BY_ACTIVITY.get(activity.removeprefix("revise-").removeprefix("cancel-"))
    if base is None:
        raise UnknownActivity(f"activity '{activity}' is not a HospitalNotification activity")
    follows_death = followed_code in ("MORS", "RE_MORS")
    if deceased:
        return "RE_MORS" if follows_death and step.role == "revision" else "MORS"
    # Only AN_MORS cancels with a repeated activity; every other cancellation has a cancel- code.
    if step.role == "removal" and (follows_death or not activity.startswith("cancel-")):
        return "AN_MORS"
    if activity.startswith("revise-"):
        return "RE_" + base
    if activity.startswith("cancel-"):
        return "AN_" + base
    return base


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
    """The timeline with `new` added last and every correction and cancellation applied anew.

    They are applied in the order they were sent, not received: a notice that arrives after its
    own correction is replaced all the same, and only enters the history.
    """
    events = [*timeline, new]
    by_header = {event.header_id: event for event in events}
    replaced_by: dict[str, str] = {}
    followers = [e for e in events if e.code.startswith(("RE_", "AN_")) and e.target_header_id]
    for follower in sorted(followers, key=lambda e: e.message_timestamp):
        target = follower.target_header_id
        # A sender may cite a notice that a correction has replaced since; the follower then
        # applies to the correction in force. `seen` stops a chain that cites itself.
        seen = {follower.header_id}
        while target in replaced_by and not by_header[replaced_by[target]].is_cancellation:
            seen.add(target)
            target = replaced_by[target]
            if target in seen:
                break
        if target in by_header and target not in seen and target not in replaced_by:
            replaced_by[target] = follower.header_id
    # Most events keep their mark; only a changed one is copied.
    return [
        event
        if event.replaced_by_header_id == (mark := replaced_by.get(event.header_id))
        else replace(event, replaced_by_header_id=mark)
        for event in events
    ]


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
    if any(event.code.removeprefix("AN_") in ADMISSIONS for event in timeline):
        return EpisodeState.CANCELLED  # the admission itself was entered in error
    return EpisodeState.ADMITTED  # known so far only from a plan or a cancelled follow-up


def admitted_at(timeline: Sequence[TimelineEvent]) -> datetime | None:
    """When the stay began, by the admission notice in force (a correction moves it)."""
    admissions = [e for e in current_events(timeline) if e.base_code in ADMISSIONS]
    return admissions[-1].occurred_at if admissions else None


def discharged_at(timeline: Sequence[TimelineEvent]) -> datetime | None:
    """When the stay ended, by the discharge or death in force (a cancellation reopens it)."""
    endings = [e for e in current_events(timeline) if e.base_code in ENDINGS]
    deaths = [e for e in endings if e.base_code == "MORS"]
    if deaths:
        return deaths[-1].occurred_at
    # Among discharge notices and handovers, the one sent last is the hospital's newest word on
    # the time: a correction after the handover moves the discharge either way.
    newest = max(endings, key=lambda e: e.message_timestamp, default=None)
    return newest.occurred_at if newest else None


def latest_notice(timeline: Sequence[TimelineEvent]) -> TimelineEvent | None:
    """The newest notice in force, by when it was sent: the only one a correction may follow."""
    notices = [
        e
        for e in timeline
        if e.replaced_by_header_id is None
        and not e.is_cancellation
        and not e.code.startswith("discharge-")
    ]
    return max(notices, key=lambda e: e.message_timestamp, default=None)
