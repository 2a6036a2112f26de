"""Applying one hospital message to an episode's timeline: the pure heart of intake.

Given what a message says and the episode as it stands, work out the event the message stands
for, the timeline after it, what the episode becomes and whether the checklist judges it. No
database and no FHIR: the intake service stores the change this returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from overgang.domain.content import DischargeContent
from overgang.domain.episode import (
    EpisodeState,
    TimelineEvent,
    add_event,
    admitted_at,
    current_events,
    derive_state,
    discharged_at,
    event_time,
    latest_notice,
    notification_code,
)
from overgang.domain.issues import Issue, medcom_issue
from overgang.domain.judging import JudgedTime, is_judged, judged_time_for
from overgang.domain.messages import InboundMessage, MessageKind


@dataclass(frozen=True)
class EpisodeBefore:
    """What of the episode a message can change, as it stood before the message."""

    timeline: Sequence[TimelineEvent]
    encounter_class: str | None = None
    planned_discharge_at: datetime | None = None
    judged_before: bool = False  # the checklist has judged the episode already


@dataclass(frozen=True)
class EpisodeChange:
    """The episode after one message. `timeline` ends with the message's own event."""

    event: TimelineEvent
    timeline: list[TimelineEvent]
    state: EpisodeState
    encounter_class: str | None
    admitted_at: datetime | None
    discharged_at: datetime | None
    planned_discharge_at: datetime | None
    content: DischargeContent | None  # the newest plan or handover content; None: unchanged
    warnings: tuple[Issue, ...]  # the sender's mistakes worth telling, never worth refusing
    judged: JudgedTime | None  # which discharge time the checklist judges now; None: not judged


def apply_message(message: InboundMessage, before: EpisodeBefore) -> EpisodeChange:
    """The change one message makes to an episode (raises UnknownActivity for a notice whose
    Provenance names no HospitalNotification activity)."""
    code = _event_code(message, before.timeline)
    event = TimelineEvent(
        code=code,
        header_id=message.header_id,
        occurred_at=event_time(code, message),
        message_timestamp=message.timestamp,
        target_header_id=message.provenance.follows_header_id,
    )
    timeline = add_event(before.timeline, event)
    in_force = current_events(timeline)
    # A late message tells of an earlier moment: the class follows the newest event in force.
    newest_in_force = bool(in_force) and in_force[-1].header_id == event.header_id
    discharged = discharged_at(timeline)
    return EpisodeChange(
        event=timeline[-1],
        timeline=timeline,
        state=derive_state(timeline),
        encounter_class=message.encounter.encounter_class
        if newest_in_force
        else before.encounter_class,
        admitted_at=admitted_at(timeline),
        discharged_at=discharged,
        planned_discharge_at=message.encounter.period_end
        if message.kind is MessageKind.DISCHARGE_PLAN
        else before.planned_discharge_at,
        content=message.content,
        warnings=(*message.warnings, *_chain_warnings(event, before.timeline)),
        judged=judged_time_for(code, discharged=discharged is not None)
        if is_judged(code, judged_before=before.judged_before)
        else None,
    )


def _event_code(message: InboundMessage, timeline: Sequence[TimelineEvent]) -> str:
    if message.kind is not MessageKind.HOSPITAL_NOTIFICATION:
        return message.kind.value
    followed = next(
        (e.code for e in timeline if e.header_id == message.provenance.follows_header_id), None
    )
    return notification_code(
        step=message.provenance, deceased=message.deceased, followed_code=followed
    )


def _chain_warnings(event: TimelineEvent, timeline: Sequence[TimelineEvent]) -> list[Issue]:
    """MedCom's chain rules, broken by the sender: worth telling, never worth losing the message."""
    target = event.target_header_id
    if not target or not event.code.startswith(("RE_", "AN_")):
        return []
    if all(e.header_id != target for e in timeline):
        text = "the message follows a MessageHeader Overgang has not received"
    elif (latest := latest_notice(timeline)) is not None and latest.header_id != target:
        text = "a correction or cancellation must follow the latest notice of the episode"
    else:
        return []
    return [
        medcom_issue("informational", text, expression="Provenance.entity.what", severity="warning")
    ]
