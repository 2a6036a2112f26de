"""Queries about municipalities' inbox messages and their acknowledgements."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from overgang.domain.messages import EpisodeKey, local_first
from overgang.storage.models import Episode, EpisodeIdentifier, InboxMessage, ReceivedMessage


def list_inbox(
    *, session: Session, municipality_id: uuid.UUID, after_sequence: int, limit: int
) -> list[InboxMessage]:
    return list(
        session.scalars(
            select(InboxMessage)
            .where(
                InboxMessage.municipality_organisation_id == municipality_id,
                InboxMessage.sequence > after_sequence,
            )
            .order_by(InboxMessage.sequence)
            .limit(limit)
        )
    )


def get_inbox_message(
    *, session: Session, message_id: uuid.UUID, municipality_id: uuid.UUID, for_update: bool = False
) -> InboxMessage | None:
    """The message, only if it is addressed to this municipality."""
    query = select(InboxMessage).where(
        InboxMessage.id == message_id,
        InboxMessage.municipality_organisation_id == municipality_id,
    )
    if for_update:
        query = query.with_for_update(key_share=True)
    return session.scalars(query).one_or_none()


def episodes_with_keys(
    *, session: Session, episode_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[Episode, str | None]]:
    """Each episode with its public identifier value (the local one when there is one)."""
    if not episode_ids:
        return {}
    rows = session.execute(
        select(Episode, EpisodeIdentifier.system, EpisodeIdentifier.value)
        # Outer: a pseudonymised episode (retention) has no identifiers left.
        .outerjoin(EpisodeIdentifier, EpisodeIdentifier.episode_id == Episode.id)
        .where(Episode.id.in_(episode_ids))
    ).all()
    result: dict[uuid.UUID, tuple[Episode, str | None]] = {
        episode.id: (episode, None) for episode, system, _ in rows if system is None
    }
    keyed = [
        (EpisodeKey(system=system, value=value), episode)
        for episode, system, value in rows
        if system is not None
    ]
    for key, episode in reversed(local_first(keyed, key=lambda pair: pair[0])):
        result[episode.id] = (episode, key.value)  # reversed, so a local one is written last
    return result


def find_inbox_messages_by_header(
    *, session: Session, header_id: str, municipality_id: uuid.UUID
) -> list[InboxMessage]:
    """The municipality's inbox messages that carry the MessageHeader.id it acknowledges (ids
    are unique per sender, so two senders' messages may share one; at most two are read)."""
    return list(
        session.scalars(
            select(InboxMessage)
            .join(ReceivedMessage, ReceivedMessage.id == InboxMessage.received_message_id)
            .where(
                ReceivedMessage.header_id == header_id,
                InboxMessage.municipality_organisation_id == municipality_id,
            )
            .limit(2)
        )
    )
