"""Queries about episodes, their identifiers, timelines and received messages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from overgang.domain.messages import EpisodeKey, local_first, local_system
from overgang.storage.models import (
    ChecklistEvaluation,
    Episode,
    EpisodeEvent,
    EpisodeIdentifier,
    Organisation,
    ReceivedMessage,
)

# Run on every message, so built once (building costs more than running from the compiled cache).
_EVENTS_OF_EPISODE = (
    select(EpisodeEvent)
    .where(EpisodeEvent.episode_id == bindparam("episode_id"))
    .order_by(EpisodeEvent.occurred_at, EpisodeEvent.message_timestamp)
)
_EPISODES_BY_KEYS = (
    select(EpisodeIdentifier.system, EpisodeIdentifier.value, Episode)
    .join(Episode, Episode.id == EpisodeIdentifier.episode_id)
    .where(
        EpisodeIdentifier.owner == bindparam("owner"),
        tuple_(EpisodeIdentifier.system, EpisodeIdentifier.value).in_(
            bindparam("keys", expanding=True)
        ),
    )
    # Messages about one episode take turns: each reads the timeline the other committed.
    .with_for_update(of=Episode, key_share=True)
)
_RECEIVED = cast(Table, ReceivedMessage.__table__)
# Message identity is per sender: another sender's ids are never looked at. Core, on the
# connection: a resend's answer is only read.
_RECEIVED_BY_HEADER_OR_BUNDLE = select(
    _RECEIVED.c.header_id,
    _RECEIVED.c.bundle_id,
    _RECEIVED.c.episode_id,
    _RECEIVED.c.notification_code,
    _RECEIVED.c.response_code,
    _RECEIVED.c.response_issues,
).where(
    _RECEIVED.c.sender_organisation_id == bindparam("sender_id"),
    or_(
        _RECEIVED.c.header_id == bindparam("header_id"),
        _RECEIVED.c.bundle_id == bindparam("bundle_id"),
    ),
)


@dataclass(frozen=True)
class SeenMessage:
    """What a resend needs of a message received before: its answer, and its episode."""

    header_id: str
    bundle_id: str
    episode_id: uuid.UUID | None
    notification_code: str | None
    response_code: str
    response_issues: list[dict[str, Any]]


def find_episodes_by_keys(
    *, session: Session, owner: str, keys: Sequence[EpisodeKey]
) -> list[tuple[EpisodeKey, Episode]]:
    """The owner's keys already held by an episode, each with that episode, in the order of `keys`.

    Identifiers are scoped to their owner: another owner's episode is never found here.
    """
    if not keys:
        return []
    rows = session.execute(
        _EPISODES_BY_KEYS,
        {"owner": owner, "keys": [(key.system, key.value) for key in keys]},
    ).all()
    by_key = {EpisodeKey(system=system, value=value): episode for system, value, episode in rows}
    return [(key, by_key[key]) for key in keys if key in by_key]


def find_episode_by_identifier_value(
    *,
    session: Session,
    value: str,
    owner: str | None = None,
    municipality_id: uuid.UUID | None = None,
) -> Episode | None:
    """The episode with an identifier of this value (any system) among those of one owner or
    addressed to one municipality.

    Values are unique per owner only, so a municipality may hold two episodes of one value. The
    one whose local identifier names its own hospital's SOR wins, then any local one, then the
    oldest: a later sender cannot shadow an episode by reusing its identifier.
    """
    if (owner is None) == (municipality_id is None):
        raise ValueError("look an episode up either for its owner or for its municipality")
    scope = (
        Episode.owner == owner
        if owner is not None
        else Episode.municipality_organisation_id == municipality_id
    )
    rows = session.execute(
        select(EpisodeIdentifier.system, Episode, Organisation.sor)
        .join(Episode, Episode.id == EpisodeIdentifier.episode_id)
        .join(Organisation, Organisation.id == Episode.hospital_organisation_id)
        .where(EpisodeIdentifier.value == value, scope)
        .order_by(Episode.created_at, Episode.id)
    ).all()
    # Stable sorts: the oldest first, then a local identifier, then one naming its own hospital.
    ranked = local_first(rows, key=lambda row: EpisodeKey(system=row[0], value=value))
    ranked.sort(key=lambda row: row[0] != local_system(row[2]))
    return ranked[0][1] if ranked else None


def episode_identifiers(*, session: Session, episode_id: uuid.UUID) -> list[EpisodeIdentifier]:
    return list(
        session.scalars(
            select(EpisodeIdentifier)
            .where(EpisodeIdentifier.episode_id == episode_id)
            .order_by(EpisodeIdentifier.system)
        )
    )


def update_episode(*, session: Session, episode: Episode, values: dict[str, Any]) -> None:
    """Change a loaded episode with one UPDATE, now. The object shows the new values without
    being marked changed, so the unit of work does not look at it again."""
    for name, value in values.items():
        set_committed_value(episode, name, value)
    session.connection().execute(_UPDATE_EPISODE, {"episode_id": episode.id, **values})


# The SET clause is made of the columns each execution names.
_UPDATE_EPISODE = update(cast(Table, Episode.__table__)).where(
    Episode.__table__.c.id == bindparam("episode_id")
)


def episode_events(*, session: Session, episode_id: uuid.UUID) -> list[EpisodeEvent]:
    return list(session.scalars(_EVENTS_OF_EPISODE, {"episode_id": episode_id}))


def find_received_message(
    *, session: Session, sender_id: uuid.UUID, header_id: str, bundle_id: str
) -> tuple[SeenMessage | None, SeenMessage | None]:
    """(the sender's message with this MessageHeader.id, one with this Bundle.id), for resends."""
    rows = [
        SeenMessage(*row)
        for row in session.connection().execute(
            _RECEIVED_BY_HEADER_OR_BUNDLE,
            {"sender_id": sender_id, "header_id": header_id, "bundle_id": bundle_id},
        )
    ]
    by_header = next((row for row in rows if row.header_id == header_id), None)
    by_bundle = next((row for row in rows if row.bundle_id == bundle_id), None)
    return by_header, by_bundle


def has_evaluation(*, session: Session, episode_id: uuid.UUID) -> bool:
    """Whether the checklist has judged the episode before."""
    return session.scalar(_ANY_EVALUATION, {"episode_id": episode_id}) is not None


_ANY_EVALUATION = (
    select(ChecklistEvaluation.id)
    .where(ChecklistEvaluation.episode_id == bindparam("episode_id"))
    .limit(1)
)
