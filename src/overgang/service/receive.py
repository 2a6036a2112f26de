"""Receiving a hospital's message: check who sent it, follow the episode, route it to the inbox.

Everything here happens inside the caller's transaction: the received bytes, the episode
change and the inbox message are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from overgang.checklist import ChecklistCatalog, ChecklistResult
from overgang.domain.episode import (
    TimelineEvent,
    UnknownActivity,
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
from overgang.domain.messages import InboundMessage, MessageKind
from overgang.errors import Conflict, Forbidden, Unprocessable
from overgang.fhir.handover import with_checklist
from overgang.service.caller import Caller
from overgang.service.checklist import (
    checklist_issues,
    judge,
    judged_time_for,
    keep_evaluation,
    latest_evaluation,
)
from overgang.service.push import enqueue_deliveries
from overgang.storage import deliveries as delivery_store
from overgang.storage import episodes as episode_store
from overgang.storage import partners
from overgang.storage.models import (
    Episode,
    EpisodeEvent,
    EpisodeIdentifier,
    InboxMessage,
    Organisation,
    ReceivedMessage,
)

INBOX_KIND = {
    MessageKind.HOSPITAL_NOTIFICATION: "hospital-notification",
    MessageKind.DISCHARGE_PLAN: "discharge-plan",
    MessageKind.DISCHARGE_HANDOVER: "handover",
}


@dataclass(frozen=True)
class Receipt:
    """Overgang's answer to the sender: taken (ok) with any warnings, or a resend of one taken."""

    response_code: str
    issues: tuple[Issue, ...]
    duplicate: bool
    episode_id: uuid.UUID | None
    notification_code: str | None
    checklist: ChecklistResult | None = None  # set when this message was judged


@dataclass(frozen=True)
class RawMessage:
    body: bytes
    content_type: str
    outbound_json: bytes  # the FHIR JSON form routed to the municipality


def receive_message(
    *,
    session: Session,
    caller: Caller,
    message: InboundMessage,
    raw: RawMessage,
    checklists: ChecklistCatalog,
    now: datetime,
) -> Receipt:
    """Store and route one validated message, or answer a resend with the original answer."""
    owner = caller.require_hospital()
    if message.sender.sor != caller.sor:
        raise Forbidden(
            "the MessageHeader sender's SOR is not the calling hospital's", subject="sender"
        )
    seen, bundle_reused = episode_store.find_received_message(
        session=session,
        sender_id=caller.organisation_id,
        header_id=message.header_id,
        bundle_id=message.bundle_id,
    )
    if seen is not None:
        # MedCom: a resend is never processed twice; it gets the original answer again.
        return Receipt(
            response_code=seen.response_code,
            issues=tuple(Issue(**issue) for issue in seen.response_issues),
            duplicate=True,
            episode_id=seen.episode_id,
            notification_code=seen.notification_code,
        )
    if bundle_reused is not None:
        raise Conflict(
            "Bundle.id was already used by another message; a new message needs a new id",
            subject="bundle-id",
        )
    municipality = _receiving_municipality(session=session, message=message)

    episode, timeline = _match_episode(
        session=session, message=message, caller=caller, owner=owner, now=now
    )
    code = _event_code(message, timeline)
    event = TimelineEvent(
        code=code,
        header_id=message.header_id,
        occurred_at=event_time(code, message),
        message_timestamp=message.timestamp,
        target_header_id=message.provenance.follows_header_id,
    )
    old_timeline = [_as_event(row) for row in timeline]
    issues = list(message.warnings) + _chain_warnings(event, old_timeline)
    new_timeline = add_event(old_timeline, event)
    for row, updated in zip(timeline, new_timeline[:-1], strict=True):
        row.replaced_by_header_id = updated.replaced_by_header_id

    _update_episode(
        episode,
        message=message,
        timeline=new_timeline,
        municipality=municipality,
        now=now,
    )
    received_id = uuid.uuid4()
    event_row = EpisodeEvent(
        episode_id=episode.id,
        received_message_id=received_id,
        code=code,
        header_id=message.header_id,
        target_header_id=event.target_header_id,
        replaced_by_header_id=new_timeline[-1].replaced_by_header_id,
        occurred_at=event.occurred_at,
        message_timestamp=message.timestamp,
        details=_event_details(message),
    )
    checklist = None
    judged_time = None
    if _judges(code, session=session, episode=episode):
        judged_time = judged_time_for(code, episode)
        checklist = judge(
            session=session,
            episode=episode,
            catalog=checklists,
            judged=judged_time,
            events=[*timeline, event_row],
        )
        # The ward's answer carries the gaps; a resend gets the same answer again.
        issues += checklist_issues(checklist)
    received = ReceivedMessage(
        id=received_id,
        bundle_id=message.bundle_id,
        header_id=message.header_id,
        event_code=message.kind.value,
        notification_code=code if message.kind is MessageKind.HOSPITAL_NOTIFICATION else None,
        sender_organisation_id=caller.organisation_id,
        episode_id=episode.id,
        content_type=raw.content_type,
        body=raw.body,
        sha256=hashlib.sha256(raw.body).hexdigest(),
        message_timestamp=message.timestamp,
        received_at=now,
        response_code="ok",
        response_issues=[asdict(issue) for issue in issues],
    )
    session.add(received)
    # The unit of work orders inserts by foreign key only along relationships, which the models
    # do not declare: the episode and the received message go first, what refers to them next.
    session.flush()
    session.add(event_row)
    if checklist is not None and judged_time is not None:
        keep_evaluation(
            session=session,
            episode=episode,
            result=checklist,
            trigger=code,
            judged=judged_time,
            now=now,
        )
    outbound_checklist = checklist.to_json() if checklist and message.content is not None else None
    route_to_municipality(
        session=session,
        municipality=municipality,
        episode=episode,
        received=received,
        kind=INBOX_KIND[message.kind],
        notification=received.notification_code,
        body=with_checklist(raw.outbound_json, outbound_checklist)
        if outbound_checklist is not None
        else raw.outbound_json,
        checklist=outbound_checklist,
        now=now,
    )
    return Receipt(
        response_code="ok",
        issues=tuple(issues),
        duplicate=False,
        episode_id=episode.id,
        notification_code=received.notification_code,
        checklist=checklist,
    )


def _judges(code: str, *, session: Session, episode: Episode) -> bool:
    """Plans and discharges are judged; a correction or cancellation re-judges what was judged."""
    if code in ("discharge-plan", "discharge-handover", "SLHJ", "RE_SLHJ"):
        return True
    if code.startswith(("RE_", "AN_")):
        # No evaluation is pending yet, so the query needs nothing flushed.
        with session.no_autoflush:
            return latest_evaluation(session=session, episode=episode) is not None
    return False


def route_to_municipality(
    *,
    session: Session,
    municipality: Organisation,
    episode: Episode,
    received: ReceivedMessage,
    kind: str,
    notification: str | None,
    body: bytes,
    checklist: dict[str, Any] | None,
    now: datetime,
) -> InboxMessage:
    """Put a message in the municipality's inbox, numbered in its own sequence."""
    # Every other read and write first: the sequence's row lock is held from its UPDATE to
    # commit, and intake for the municipality waits on it meanwhile.
    endpoints = delivery_store.active_endpoints(session=session, municipality_id=municipality.id)
    session.flush()
    inbox_message = InboxMessage(
        id=uuid.uuid4(),
        municipality_organisation_id=municipality.id,
        episode_id=episode.id,
        received_message_id=received.id,
        kind=kind,
        notification_code=notification,
        sequence=partners.next_inbox_sequence(session=session, municipality_id=municipality.id),
        status="pending",
        body=body,
        checklist=checklist,
        created_at=now,
    )
    session.add(inbox_message)
    session.flush()  # the inbox row before the deliveries that refer to it
    enqueue_deliveries(session=session, inbox_message=inbox_message, endpoints=endpoints, now=now)
    return inbox_message


def _receiving_municipality(*, session: Session, message: InboundMessage) -> Organisation:
    """Routing is by the receiver's SOR (or GLN): a HospitalNotification has no municipality code."""
    receiver = message.receiver
    organisation = partners.find_organisation_by_sor(session=session, sor=receiver.sor or "")
    if organisation is None and receiver.gln:
        organisation = partners.find_organisation_by_gln(session=session, gln=receiver.gln)
    if organisation is None or organisation.kind != "municipality":
        raise Unprocessable(
            "the primary receiver is not a registered municipality", subject="receiver"
        )
    return organisation


def _match_episode(
    *, session: Session, message: InboundMessage, caller: Caller, owner: str, now: datetime
) -> tuple[Episode, list[EpisodeEvent]]:
    keys = list(dict.fromkeys(message.encounter.episode_keys))
    held = episode_store.find_episodes_by_keys(session=session, owner=owner, keys=keys)
    # Any identifier of the message that names another citizen's episode is a wrong identifier,
    # even when the preferred one matches: nothing of the message may be stored.
    if any(episode.cpr != message.cpr for _, episode in held):
        raise Conflict(
            "the episode identifier belongs to an episode of another citizen",
            subject="episode-identifier",
        )
    if held:
        episode = held[0][1]  # keys are ordered local first, so the local match wins
        timeline = episode_store.episode_events(session=session, episode_id=episode.id)
    else:
        episode = Episode(
            id=uuid.uuid4(),
            owner=owner,
            hospital_organisation_id=caller.organisation_id,
            municipality_organisation_id=caller.organisation_id,  # set by _update_episode
            cpr=message.cpr,
            state="admitted",
            created_at=now,
            updated_at=now,
        )
        session.add(episode)
        timeline = []
    # A key held by another episode of the citizen stays there: identifiers are unique.
    held_keys = {key for key, _ in held}
    for key in keys:
        if key not in held_keys:
            session.add(
                EpisodeIdentifier(
                    episode_id=episode.id, owner=owner, system=key.system, value=key.value
                )
            )
    return episode, timeline


def _event_code(message: InboundMessage, timeline: list[EpisodeEvent]) -> str:
    if message.kind is not MessageKind.HOSPITAL_NOTIFICATION:
        return message.kind.value
    followed = next(
        (row.code for row in timeline if row.header_id == message.provenance.follows_header_id),
        None,
    )
    try:
        return notification_code(
            step=message.provenance, deceased=message.deceased, followed_code=followed
        )
    except UnknownActivity as error:
        raise Unprocessable(str(error)) from None


def _chain_warnings(event: TimelineEvent, timeline: list[TimelineEvent]) -> list[Issue]:
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


def _as_event(row: EpisodeEvent) -> TimelineEvent:
    return TimelineEvent(
        code=row.code,
        header_id=row.header_id,
        occurred_at=row.occurred_at,
        message_timestamp=row.message_timestamp,
        target_header_id=row.target_header_id,
        replaced_by_header_id=row.replaced_by_header_id,
    )


def _update_episode(
    episode: Episode,
    *,
    message: InboundMessage,
    timeline: list[TimelineEvent],
    municipality: Organisation,
    now: datetime,
) -> None:
    """The episode as its timeline gives it; `timeline` ends with this message's event."""
    in_force = current_events(timeline)
    episode.state = derive_state(timeline)
    episode.municipality_organisation_id = municipality.id
    # A late message tells of an earlier moment: the class follows the newest event in force.
    if in_force and in_force[-1].header_id == timeline[-1].header_id:
        episode.encounter_class = message.encounter.encounter_class
    episode.admitted_at = admitted_at(timeline)
    episode.discharged_at = discharged_at(timeline)
    if message.kind is MessageKind.DISCHARGE_PLAN:
        episode.planned_discharge_at = message.encounter.period_end
    if message.content is not None:
        episode.content = message.content.to_json()
    episode.updated_at = now


def _event_details(message: InboundMessage) -> dict[str, Any]:
    """What the timeline shows about the event: times and status, never clinical content."""
    encounter = message.encounter
    return {
        "encounter_status": encounter.status,
        "encounter_class": encounter.encounter_class,
        "period_start": _iso(encounter.period_start),
        "period_end": _iso(encounter.period_end),
        "leave_start": _iso(encounter.leave_start),
        "leave_end": _iso(encounter.leave_end),
        "activity": message.provenance.activity,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
