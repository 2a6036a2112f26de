"""Reading an episode: for the hospitals that sent about it and the municipality it is addressed to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from overgang.domain import identifiers
from overgang.errors import NotFound
from overgang.service.audit import AuditContext, audit_read
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
    """The episode with this identifier value, if the caller may see it; else NotFound."""
    value = identifiers.normalise_episode_identifier_value(identifier)
    episode = episode_store.find_episode_by_identifier_value(session=session, value=value)
    if episode is None or not _may_see(session, caller, episode):
        raise NotFound("no such episode")
    return episode


def get_episode(
    *, session: Session, caller: Caller, identifier: str, audit: AuditContext
) -> EpisodeView:
    episode = find_visible_episode(session=session, caller=caller, identifier=identifier)
    audit_read(
        session=session,
        caller=caller,
        audit=audit,
        action="episode.get",
        resource_type="episode",
        resource_id=str(episode.id),
        episode_ids=[episode.id],
    )
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


def _may_see(session: Session, caller: Caller, episode: Episode) -> bool:
    if caller.kind == "municipality":
        return episode.municipality_organisation_id == caller.organisation_id
    return caller.organisation_id in episode_store.episode_sender_ids(
        session=session, episode_id=episode.id
    )
