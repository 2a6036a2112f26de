"""Queries about episodes, their identifiers, timelines and received messages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, or_, select, tuple_
from sqlalchemy.orm import Session

from overgang.domain.messages import EpisodeKey
from overgang.storage.models import Episode, EpisodeEvent, EpisodeIdentifier, ReceivedMessage

# Run on every message, so built once (building costs more than running from the compiled cache).
_EVENTS_OF_EPISODE = (
    select(EpisodeEvent)
    .where(EpisodeEvent.episode_id == bindparam("episode_id"))
    .order_by(EpisodeEvent.occurred_at, EpisodeEvent.message_timestamp)
)
_RECEIVED_BY_HEADER_OR_BUNDLE = select(ReceivedMessage).where(
    or_(
        ReceivedMessage.header_id == bindparam("header_id"),
        ReceivedMessage.bundle_id == bindparam("bundle_id"),
    )
)


def find_episodes_by_keys(
    *, session: Session, keys: Sequence[EpisodeKey]
) -> list[tuple[EpisodeKey, Episode]]:
    """The keys already held by an episode, each with that episode, in the order of `keys`."""
    if not keys:
        return []
    rows = session.execute(
        select(EpisodeIdentifier.system, EpisodeIdentifier.value, Episode)
        .join(Episode, Episode.id == EpisodeIdentifier.episode_id)
        .where(
            tuple_(EpisodeIdentifier.system, EpisodeIdentifier.value).in_(
                [(key.system, key.value) for key in keys]
            )
        )
        # Messages about one episode take turns: each reads the timeline the other committed.
        .with_for_update(of=Episode, key_share=True)
    ).all()
    by_key = {EpisodeKey(system=system, value=value): episode for system, value, episode in rows}
    return [(key, by_key[key]) for key in keys if key in by_key]


def find_episode_by_identifier_value(*, session: Session, value: str) -> Episode | None:
    """The episode whose identifier (any system) has this value; local identifiers win."""
    rows = list(
        session.execute(
            select(EpisodeIdentifier.system, Episode)
            .join(Episode, Episode.id == EpisodeIdentifier.episode_id)
            .where(EpisodeIdentifier.value == value)
        )
    )
    rows.sort(key=lambda row: not row[0].startswith("https://sor2.sum.dsdn.dk/"))
    return rows[0][1] if rows else None


def episode_identifiers(*, session: Session, episode_id: uuid.UUID) -> list[EpisodeIdentifier]:
    return list(
        session.scalars(
            select(EpisodeIdentifier)
            .where(EpisodeIdentifier.episode_id == episode_id)
            .order_by(EpisodeIdentifier.system)
        )
    )


def episode_events(*, session: Session, episode_id: uuid.UUID) -> list[EpisodeEvent]:
    return list(session.scalars(_EVENTS_OF_EPISODE, {"episode_id": episode_id}))


def episode_sender_ids(*, session: Session, episode_id: uuid.UUID) -> set[uuid.UUID]:
    """Every hospital that has sent a message about the episode (a transfer changes the sender)."""
    return set(
        session.scalars(
            select(ReceivedMessage.sender_organisation_id).where(
                ReceivedMessage.episode_id == episode_id
            )
        )
    )


def find_received_message(
    *, session: Session, header_id: str, bundle_id: str
) -> tuple[ReceivedMessage | None, ReceivedMessage | None]:
    """(the message with this MessageHeader.id, a message with this Bundle.id), for resends."""
    rows = session.scalars(
        _RECEIVED_BY_HEADER_OR_BUNDLE, {"header_id": header_id, "bundle_id": bundle_id}
    ).all()
    by_header = next((row for row in rows if row.header_id == header_id), None)
    by_bundle = next((row for row in rows if row.bundle_id == bundle_id), None)
    return by_header, by_bundle
