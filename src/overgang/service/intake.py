"""Intake: take one hospital message in one transaction, and route it to the municipality.

The order of the rules, each with one home:
1. who sent it: the calling hospital, as itself (`Caller`), scoped to its owner;
2. message identity: MedCom's duplicate rules, within this sender (a resend gets its answer);
3. which episode: the owner's episode holding one of its identifiers, else a new one;
4. what the message changes: `domain.intake.apply_message`, pure;
5. the checklist, when the change says so; the handover package; the inbox and its outbox.
The received bytes, the episode change, the judgement and the inbox message commit together
or not at all, and nothing leaves the process before commit.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog, ChecklistResult
from overgang.delivery.outbox import delivery_rows
from overgang.domain.episode import UnknownActivity
from overgang.domain.intake import EpisodeBefore, apply_message
from overgang.domain.issues import Issue
from overgang.domain.messages import InboundMessage, MessageKind
from overgang.errors import Conflict, Forbidden, Unprocessable
from overgang.handover.package import package_for_municipality
from overgang.service.audit import AuditContext, audit_intake
from overgang.service.caller import Caller
from overgang.service.checklist import checklist_issues, judge, keep_evaluation
from overgang.service.intake_episode import episode_changes, event_row, match_episode
from overgang.storage import episodes as episode_store
from overgang.storage import partners
from overgang.storage.models import (
    Episode,
    InboxMessage,
    ReceivedMessage,
)
from overgang.storage.partners import Receiver
from overgang.storage.rows import insert_new, insert_values

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
    deliveries_queued: int = 0  # webhook deliveries waiting for the sender after commit


@dataclass(frozen=True)
class RawMessage:
    body: bytes
    content_type: str
    outbound_json: bytes  # the FHIR JSON form routed to the municipality


def take_message(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    message: InboundMessage,
    raw: Callable[[Session], RawMessage],
    checklists: ChecklistCatalog,
    audit: AuditContext,
    channel: str,
    now: datetime,
) -> Receipt:
    """Receive the message; if a concurrent copy committed first, answer as to a resend.

    Audited however it ends: taken (with its episode) in its own transaction, refused in one
    of its own. `channel` is the route it came by: "fhir" or "events".
    """

    def receive() -> Receipt:
        with audit_intake(
            sessions=sessions,
            caller=caller,
            audit=audit,
            channel=channel,
            header_id=message.header_id,
        ) as access:
            receipt = _receive(
                session=access.session,
                caller=caller,
                message=message,
                raw=raw(access.session),
                checklists=checklists,
                now=now,
            )
            if receipt.episode_id is not None:
                access.touches(receipt.episode_id)
            return receipt

    try:
        return receive()
    except IntegrityError:
        # A unique key (the sender's MessageHeader.id, the owner's identifier) caught a race;
        # the copy that committed first now gives the answer.
        return receive()


def _receive(
    *,
    session: Session,
    caller: Caller,
    message: InboundMessage,
    raw: RawMessage,
    checklists: ChecklistCatalog,
    now: datetime,
) -> Receipt:
    owner = caller.require_hospital()
    if message.sender.sor != caller.sor:
        raise Forbidden(
            "the MessageHeader sender's SOR is not the calling hospital's", subject="sender"
        )
    resent = _answer_to_resend(session=session, caller=caller, message=message)
    if resent is not None:
        return resent
    municipality = _receiving_municipality(session=session, message=message)
    match = match_episode(
        session=session,
        message=message,
        owner=owner,
        caller=caller,
        municipality_id=municipality.id,
        now=now,
    )
    episode, timeline = match.episode, [event for _, event in match.timeline]
    try:
        change = apply_message(
            message,
            EpisodeBefore(
                timeline=timeline,
                encounter_class=episode.encounter_class,
                planned_discharge_at=episode.planned_discharge_at,
                judged_before=bool(timeline) and _was_judged(session, episode.id, message),
            ),
        )
    except UnknownActivity as error:
        raise Unprocessable(str(error)) from None
    changes = episode_changes(change=change, municipality=municipality, now=now)
    if match.is_new:
        insert_values(session, Episode, {**match.new_columns, **changes})
    else:
        episode_store.update_episode(session=session, episode_id=episode.id, values=changes)
    for (event_id, before), after in zip(match.timeline, change.timeline[:-1], strict=True):
        if before.replaced_by_header_id != after.replaced_by_header_id:
            episode_store.mark_replaced(
                session=session,
                event_id=event_id,
                replaced_by_header_id=after.replaced_by_header_id,
            )
    # The episode as the message leaves it, for the checklist.
    episode = replace(
        episode,
        municipality_organisation_id=municipality.id,
        planned_discharge_at=change.planned_discharge_at,
        discharged_at=change.discharged_at,
        content=changes.get("content", episode.content),
    )

    received_id = uuid.uuid4()
    timeline_row = event_row(episode.id, change.event, message, received_id=received_id)
    checklist = None
    issues = list(change.warnings)
    if change.judged is not None:
        checklist = judge(
            session=session,
            episode=episode,
            catalog=checklists,
            judged=change.judged,
            events=change.timeline,
            municipality_sor=municipality.sor,
            content=change.content,
        )
        # The ward's answer carries the gaps; a resend gets the same answer again.
        issues += checklist_issues(checklist)
    code = change.event.code
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
        response_issues=[_issue_json(issue) for issue in issues],
    )
    # Written once, never changed in this transaction: Core INSERTs, in foreign-key order (the
    # episode above, its identifiers, the received message, its timeline row).
    insert_new(session, *match.new_identifiers, received, timeline_row)
    checklist_json = None
    if checklist is not None and change.judged is not None:
        checklist_json = checklist.to_json()
        keep_evaluation(
            session=session,
            episode=episode,
            result=checklist,
            trigger=code,
            judged=change.judged,
            now=now,
            result_json=checklist_json,
        )
    # Only plans and handovers carry a checklist to the municipality; a re-judged notice does not.
    outbound_checklist = checklist_json if message.content is not None else None
    deliveries_queued = route_to_municipality(
        session=session,
        municipality=municipality,
        episode_id=episode.id,
        received=received,
        kind=INBOX_KIND[message.kind],
        notification=received.notification_code,
        body=package_for_municipality(raw.outbound_json, outbound_checklist),
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
        deliveries_queued=deliveries_queued,
    )


def _answer_to_resend(
    *, session: Session, caller: Caller, message: InboundMessage
) -> Receipt | None:
    """MedCom: a resend is never processed twice; it gets the original answer again. Only this
    sender's messages count: another sender's ids are another message."""
    seen, bundle_reused = episode_store.find_received_message(
        session=session,
        sender_id=caller.organisation_id,
        header_id=message.header_id,
        bundle_id=message.bundle_id,
    )
    if seen is not None:
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
    return None


def _was_judged(session: Session, episode_id: uuid.UUID, message: InboundMessage) -> bool:
    """Whether the checklist judged the episode before; asked only of messages that follow
    another (a correction or cancellation re-judges a judged episode)."""
    if message.provenance.follows_header_id is None:
        return False
    # No evaluation is pending yet, so the query needs nothing flushed.
    with session.no_autoflush:
        return episode_store.has_evaluation(session=session, episode_id=episode_id)


def route_to_municipality(
    *,
    session: Session,
    municipality: Receiver,
    episode_id: uuid.UUID,
    received: ReceivedMessage,
    kind: str,
    notification: str | None,
    body: bytes,
    checklist: dict[str, Any] | None,
    now: datetime,
) -> int:
    """Put a message in the municipality's inbox, numbered in its own sequence; how many
    webhook deliveries of it are queued."""
    # Every other read and write first: the sequence's row lock is held from its UPDATE to
    # commit, and intake for the municipality waits on it meanwhile.
    session.flush()  # anything a caller added through the session
    inbox_message = InboxMessage(
        id=uuid.uuid4(),
        municipality_organisation_id=municipality.id,
        episode_id=episode_id,
        received_message_id=received.id,
        kind=kind,
        notification_code=notification,
        sequence=partners.next_inbox_sequence(session=session, municipality_id=municipality.id),
        status="pending",
        body=body,
        checklist=checklist,
        created_at=now,
    )
    deliveries = delivery_rows(
        inbox_message=inbox_message, endpoint_ids=municipality.endpoint_ids, now=now
    )
    insert_new(session, inbox_message, *deliveries)
    return len(deliveries)


def _receiving_municipality(*, session: Session, message: InboundMessage) -> Receiver:
    """Routing is by the receiver's SOR (or GLN): a HospitalNotification has no municipality code."""
    receiver = partners.find_receiver(
        session=session, sor=message.receiver.sor, gln=message.receiver.gln
    )
    if receiver is None or receiver.kind != "municipality":
        raise Unprocessable(
            "the primary receiver is not a registered municipality", subject="receiver"
        )
    return receiver


_ISSUE_FIELDS = tuple(field.name for field in fields(Issue))


def _issue_json(issue: Issue) -> dict[str, Any]:
    # What dataclasses.asdict gives for these plain values, without its deep copy.
    return {name: getattr(issue, name) for name in _ISSUE_FIELDS}
