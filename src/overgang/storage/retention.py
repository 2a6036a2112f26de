"""Queries of the retention run: what is due, and emptying it. Counts only, never contents."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from overgang.delivery.states import DeliveryState
from overgang.storage.models import (
    Acknowledgement,
    AuditEvent,
    Delivery,
    Episode,
    EpisodeIdentifier,
    InboxMessage,
    ReceivedMessage,
)

_CHUNK = 500  # ids per IN (...): well under every driver's parameter limit


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def unreported_undelivered(*, session: Session, created_before: datetime) -> list[uuid.UUID]:
    """Inbox messages nobody acknowledged since before the cutoff, not yet reported."""
    return list(
        session.scalars(
            select(InboxMessage.id).where(
                InboxMessage.acknowledged_at.is_(None),
                InboxMessage.undelivered_reported_at.is_(None),
                InboxMessage.payload_deleted_at.is_(None),
                InboxMessage.created_at < created_before,
            )
        )
    )


def mark_undelivered_reported(*, session: Session, ids: Sequence[uuid.UUID], now: datetime) -> None:
    for chunk in _chunks(ids):
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.id.in_(chunk))
            .values(undelivered_reported_at=now)
            .execution_options(synchronize_session=False)
        )


def inbox_payloads_acknowledged_before(
    *, session: Session, acknowledged_before: datetime
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(InboxMessage.id).where(
                InboxMessage.payload_deleted_at.is_(None),
                InboxMessage.acknowledged_at < acknowledged_before,
            )
        )
    )


def inbox_payloads_unacknowledged_before(
    *, session: Session, created_before: datetime
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(InboxMessage.id).where(
                InboxMessage.payload_deleted_at.is_(None),
                InboxMessage.acknowledged_at.is_(None),
                InboxMessage.created_at < created_before,
            )
        )
    )


def empty_inbox_payloads(*, session: Session, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Empty the bodies; deliveries not yet made are cancelled (there is nothing left to send)."""
    for chunk in _chunks(ids):
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.id.in_(chunk))
            .values(body=b"", payload_deleted_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Delivery)
            .where(
                Delivery.inbox_message_id.in_(chunk),
                Delivery.state.in_([DeliveryState.PENDING, DeliveryState.DEAD]),
            )
            .values(state=DeliveryState.CANCELLED, last_error="payload deleted (retention)")
            .execution_options(synchronize_session=False)
        )


def received_payloads_due(*, session: Session, received_before: datetime) -> list[uuid.UUID]:
    """Received messages older than the cutoff whose inbox messages all lost their payload."""
    still_needed = exists().where(
        InboxMessage.received_message_id == ReceivedMessage.id,
        InboxMessage.payload_deleted_at.is_(None),
    )
    return list(
        session.scalars(
            select(ReceivedMessage.id).where(
                ReceivedMessage.payload_deleted_at.is_(None),
                ReceivedMessage.received_at < received_before,
                ~still_needed,
            )
        )
    )


def empty_received_payloads(*, session: Session, ids: Sequence[uuid.UUID], now: datetime) -> None:
    for chunk in _chunks(ids):
        session.execute(
            update(ReceivedMessage)
            .where(ReceivedMessage.id.in_(chunk))
            .values(body=b"", payload_deleted_at=now)
            .execution_options(synchronize_session=False)
        )


def closed_episodes_due(
    *, session: Session, states: Sequence[str], unchanged_since: datetime
) -> list[tuple[uuid.UUID, str]]:
    """Closed episodes not changed since the cutoff and not yet pseudonymised, with their CPR."""
    rows = session.execute(
        select(Episode.id, Episode.cpr).where(
            Episode.state.in_(states),
            Episode.pseudonymised_at.is_(None),
            Episode.updated_at < unchanged_since,
        )
    ).all()
    return [(episode_id, cpr) for episode_id, cpr in rows if cpr is not None]


def pseudonymise_episode(
    *, session: Session, episode_id: uuid.UUID, citizen_key: str, now: datetime
) -> None:
    """Remove what names the citizen; keep states, times, organisations and the timeline."""
    session.execute(
        update(Episode)
        .where(Episode.id == episode_id)
        .values(
            cpr=None,
            content=None,
            readiness_reason=None,
            citizen_key=citizen_key,
            pseudonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(EpisodeIdentifier).where(EpisodeIdentifier.episode_id == episode_id))
    messages = list(
        session.scalars(select(InboxMessage.id).where(InboxMessage.episode_id == episode_id))
    )
    live = [
        message_id
        for message_id in session.scalars(
            select(InboxMessage.id).where(
                InboxMessage.episode_id == episode_id, InboxMessage.payload_deleted_at.is_(None)
            )
        )
    ]
    empty_inbox_payloads(session=session, ids=live, now=now)
    # Free text from the municipality may name the citizen; whether it rejected stays.
    for chunk in _chunks(messages):
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.id.in_(chunk), InboxMessage.reject_reason.is_not(None))
            .values(reject_reason="(removed by retention)")
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Acknowledgement)
            .where(Acknowledgement.inbox_message_id.in_(chunk), Acknowledgement.reason.is_not(None))
            .values(reason="(removed by retention)")
            .execution_options(synchronize_session=False)
        )
    received = list(
        session.scalars(
            select(ReceivedMessage.id).where(
                ReceivedMessage.episode_id == episode_id,
                ReceivedMessage.payload_deleted_at.is_(None),
            )
        )
    )
    empty_received_payloads(session=session, ids=received, now=now)


def count_audit_before(*, session: Session, before: datetime) -> int:
    return (
        session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.at < before))
        or 0
    )


def delete_audit_before(*, session: Session, before: datetime) -> None:
    session.execute(delete(AuditEvent).where(AuditEvent.at < before))
