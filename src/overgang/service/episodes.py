"""Reading an episode: for the hospitals that sent about it and the municipality it is addressed to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from overgang.domain import identifiers
from overgang.domain.limits import identifier_value_problem
from overgang.errors import NotFound
from overgang.service.audit import AuditContext, audited
from overgang.service.caller import Caller
from overgang.service.checklist import latest_evaluation
from overgang.storage import episodes as episode_store
from overgang.storage.models import (
    ChecklistEvaluation,
    Episode,
    EpisodeEvent,
    EpisodeIdentifier,
    InboxMessage,
    Organisation,
)


@dataclass(frozen=True)
class EpisodeView:
    episode: Episode
    identifiers: list[EpisodeIdentifier]
    timeline: list[EpisodeEvent]
    inbox_messages: list[InboxMessage]
    hospital: Organisation
    municipality: Organisation
    evaluation: ChecklistEvaluation | None


def find_visible_episode(*, session: Session, caller: Caller, identifier: str) -> Episode:
    """The episode with this identifier value among those the caller may see; else NotFound.

    A hospital sees the episodes of its owner, a municipality those addressed to it. The search
    is scoped before it runs, so another's episode is not found rather than found and hidden:
    the answer cannot tell the two apart.
    """
    value = identifiers.normalise_episode_identifier_value(identifier)
    if identifier_value_problem(value) is not None:
        raise NotFound("no such episode")  # no episode can have it: never stored
    episode = episode_store.find_episode_by_identifier_value(
        session=session, value=value, scope=caller.scope()
    )
    if episode is None:
        raise NotFound("no such episode")
    return episode


def get_episode(
    *, sessions: sessionmaker[Session], caller: Caller, identifier: str, audit: AuditContext
) -> EpisodeView:
    """The episode's state, timeline and messages, for a caller who may see it."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="episode.get",
        resource_type="episode",
        resource_id=identifier,
    ) as access:
        session = access.session
        episode = find_visible_episode(session=session, caller=caller, identifier=identifier)
        access.touches(episode.id)
        return episode_view(session=session, episode=episode)


def episode_view(*, session: Session, episode: Episode) -> EpisodeView:
    """Everything shown about an episode its caller may see (checked before, by the caller)."""
    inbox_messages = list(
        session.scalars(
            select(InboxMessage)
            .where(InboxMessage.episode_id == episode.id)
            .order_by(InboxMessage.created_at, InboxMessage.sequence)
        )
    )
    return EpisodeView(
        episode=episode,
        identifiers=episode_store.episode_identifiers(session=session, episode_id=episode.id),
        timeline=episode_store.episode_events(session=session, episode_id=episode.id),
        inbox_messages=inbox_messages,
        hospital=session.get_one(Organisation, episode.hospital_organisation_id),
        municipality=session.get_one(Organisation, episode.municipality_organisation_id),
        evaluation=latest_evaluation(session=session, episode=episode),
    )
