"""Queries about episodes, their identifiers, timelines and received messages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVarTuple, cast

from sqlalchemy import Select, Table, bindparam, select, tuple_, union_all, update
from sqlalchemy.orm import Session

from overgang.domain.episode import TimelineEvent
from overgang.domain.messages import EpisodeKey, local_first, local_system
from overgang.domain.visibility import Scope
from overgang.storage.models import (
    ChecklistEvaluation,
    Episode,
    EpisodeEvent,
    EpisodeIdentifier,
    Organisation,
    ReceivedMessage,
)

_EPISODES = cast(Table, Episode.__table__)
_IDENTIFIERS = cast(Table, EpisodeIdentifier.__table__)
_EVENTS = cast(Table, EpisodeEvent.__table__)
_RECEIVED = cast(Table, ReceivedMessage.__table__)
Ts = TypeVarTuple("Ts")


def in_scope(statement: Select[*Ts], scope: Scope) -> Select[*Ts]:
    """`statement` (which selects from or joins `Episode`) limited to the scope's episodes:
    domain.visibility's rule as a query condition, for the API, the board and the figures."""
    if scope.municipality_ids is not None:
        statement = statement.where(
            Episode.municipality_organisation_id.in_(scope.municipality_ids)
        )
    if scope.owners is not None:
        statement = statement.where(Episode.owner.in_(scope.owners))
    return statement


@dataclass(frozen=True, kw_only=True)
class HeldEpisode:
    """An episode's columns that intake reads and judges, as plain values (no ORM object)."""

    id: uuid.UUID
    cpr: str | None
    municipality_organisation_id: uuid.UUID
    encounter_class: str | None = None
    planned_discharge_at: datetime | None = None
    discharged_at: datetime | None = None
    content: dict[str, Any] | None = None
    readiness_ready: bool | None = None
    readiness_from: date | None = None
    readiness_reason: str | None = None
    readiness_answered_at: datetime | None = None


_HELD_COLUMNS = tuple(field.name for field in fields(HeldEpisode))
# Run on every message, so built once (building costs more than running from the compiled cache).
# Core rows on the connection: the ORM's identity map and instance state cost more than the read.
_EPISODES_BY_KEYS = (
    select(_IDENTIFIERS.c.system, _IDENTIFIERS.c.value, *(_EPISODES.c[c] for c in _HELD_COLUMNS))
    .join_from(_IDENTIFIERS, _EPISODES, _EPISODES.c.id == _IDENTIFIERS.c.episode_id)
    .where(
        _IDENTIFIERS.c.owner == bindparam("owner"),
        tuple_(_IDENTIFIERS.c.system, _IDENTIFIERS.c.value).in_(bindparam("keys", expanding=True)),
    )
    # Messages about one episode take turns: each reads the timeline the other committed.
    # PostgreSQL: FOR NO KEY UPDATE OF episodes (inserts naming the episode are not blocked).
    .with_for_update(of=_EPISODES, key_share=True)
)
# The columns in TimelineEvent's order, then the row's id.
_TIMELINE_OF_EPISODE = (
    select(
        _EVENTS.c.code,
        _EVENTS.c.header_id,
        _EVENTS.c.occurred_at,
        _EVENTS.c.message_timestamp,
        _EVENTS.c.target_header_id,
        _EVENTS.c.replaced_by_header_id,
        _EVENTS.c.id,
    )
    .where(_EVENTS.c.episode_id == bindparam("episode_id"))
    .order_by(_EVENTS.c.occurred_at, _EVENTS.c.message_timestamp)
)
_EVENTS_OF_EPISODE = (
    select(EpisodeEvent)
    .where(EpisodeEvent.episode_id == bindparam("episode_id"))
    .order_by(EpisodeEvent.occurred_at, EpisodeEvent.message_timestamp)
)
# Message identity is per sender: another sender's ids are never looked at. Core, on the
# connection: a resend's answer is only read.
_SEEN_COLUMNS = (
    _RECEIVED.c.header_id,
    _RECEIVED.c.bundle_id,
    _RECEIVED.c.episode_id,
    _RECEIVED.c.notification_code,
    _RECEIVED.c.response_code,
    _RECEIVED.c.response_issues,
)
# Two lookups, each on its own index ((sender, header id) unique, (sender, bundle id)). Asked
# as one `sender AND (header OR bundle)`, SQLite used the index for the sender only and read
# every message the hospital ever sent, on every message it sends.
_RECEIVED_BY_HEADER_OR_BUNDLE = union_all(
    select(*_SEEN_COLUMNS).where(
        _RECEIVED.c.sender_organisation_id == bindparam("sender_id"),
        _RECEIVED.c.header_id == bindparam("header_id"),
    ),
    select(*_SEEN_COLUMNS).where(
        _RECEIVED.c.sender_organisation_id == bindparam("sender_id"),
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
) -> list[tuple[EpisodeKey, HeldEpisode]]:
    """The owner's keys already held by an episode, each with that episode, in the order of `keys`;
    each episode is locked until commit.

    Identifiers are scoped to their owner: another owner's episode is never found here.
    """
    if not keys:
        return []
    rows = session.connection().execute(
        _EPISODES_BY_KEYS,
        {"owner": owner, "keys": [(key.system, key.value) for key in keys]},
    )
    by_key = {
        EpisodeKey(system=row[0], value=row[1]): HeldEpisode(
            **dict(zip(_HELD_COLUMNS, row[2:], strict=True))
        )
        for row in rows
    }
    return [(key, by_key[key]) for key in keys if key in by_key]


def find_episode_by_identifier_value(
    *, session: Session, value: str, scope: Scope
) -> Episode | None:
    """The episode with an identifier of this value (any system) among those in `scope`.

    Values are unique per owner only, so a municipality may hold two episodes of one value. The
    one whose local identifier names its own hospital's SOR wins, then any local one, then the
    oldest: a later sender cannot shadow an episode by reusing its identifier.
    """
    rows = session.execute(
        in_scope(
            select(EpisodeIdentifier.system, Episode, Organisation.sor)
            .join(Episode, Episode.id == EpisodeIdentifier.episode_id)
            .join(Organisation, Organisation.id == Episode.hospital_organisation_id)
            .where(EpisodeIdentifier.value == value)
            .order_by(Episode.created_at, Episode.id),
            scope,
        )
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


def update_episode(*, session: Session, episode_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Change an episode's columns with one UPDATE, now."""
    session.connection().execute(_UPDATE_EPISODE, {"episode_id": episode_id, **values})


# The SET clause is made of the columns each execution names.
_UPDATE_EPISODE = update(_EPISODES).where(_EPISODES.c.id == bindparam("episode_id"))


def episode_events(*, session: Session, episode_id: uuid.UUID) -> list[EpisodeEvent]:
    return list(session.scalars(_EVENTS_OF_EPISODE, {"episode_id": episode_id}))


def timeline_of(
    *, session: Session, episode_id: uuid.UUID
) -> list[tuple[uuid.UUID, TimelineEvent]]:
    """The episode's timeline in the order events happened, each event with its row's id."""
    rows = session.connection().execute(_TIMELINE_OF_EPISODE, {"episode_id": episode_id})
    return [(row[6], TimelineEvent(*row[:6])) for row in rows]


def mark_replaced(
    *, session: Session, event_id: uuid.UUID, replaced_by_header_id: str | None
) -> None:
    """Record which correction or cancellation replaces a timeline row (None: none any more)."""
    session.connection().execute(
        _MARK_REPLACED, {"event_id": event_id, "replaced_by": replaced_by_header_id}
    )


_MARK_REPLACED = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(replaced_by_header_id=bindparam("replaced_by"))
)


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
