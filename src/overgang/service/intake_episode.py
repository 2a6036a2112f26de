"""Which episode a message is about, and the rows its change writes: intake's step 3 (the
owner's episode holding one of the message's identifiers, locked until commit, else a new one)
and the columns and timeline row that step 4's change leaves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from overgang.domain.episode import TimelineEvent
from overgang.domain.intake import EpisodeChange
from overgang.domain.messages import InboundMessage, local_first
from overgang.errors import Conflict
from overgang.service.caller import Caller
from overgang.storage import episodes as episode_store
from overgang.storage.episodes import HeldEpisode
from overgang.storage.models import EpisodeEvent, EpisodeIdentifier
from overgang.storage.partners import Receiver


@dataclass(frozen=True)
class EpisodeMatch:
    """The episode a message is about, its timeline (each event with its row's id), and for a
    new episode the columns it is created with; identifiers it did not hold yet."""

    episode: HeldEpisode
    timeline: list[tuple[uuid.UUID, TimelineEvent]]
    new_columns: dict[str, Any]
    new_identifiers: list[EpisodeIdentifier]

    @property
    def is_new(self) -> bool:
        return bool(self.new_columns)


def match_episode(
    *,
    session: Session,
    message: InboundMessage,
    owner: str,
    caller: Caller,
    municipality_id: uuid.UUID,
    now: datetime,
) -> EpisodeMatch:
    """The owner's episode that holds one of the message's identifiers (locked until commit),
    else a new one.

    Identifiers are scoped to the owner, so another owner's episode is never matched, changed
    or hinted at: its identifier names a new episode of this owner instead.
    """
    keys = local_first(dict.fromkeys(message.encounter.episode_keys), key=lambda key: key)
    held = episode_store.find_episodes_by_keys(session=session, owner=owner, keys=keys)
    # Any identifier of the message that names another citizen's episode is a wrong identifier,
    # even when the preferred one matches: nothing of the message may be stored.
    if any(episode.cpr != message.cpr for _, episode in held):
        raise Conflict(
            "the episode identifier belongs to an episode of another citizen",
            subject="episode-identifier",
        )
    new_columns: dict[str, Any] = {}
    if held:
        episode = held[0][1]  # keys are ordered local first, so the local match wins
        timeline = episode_store.timeline_of(session=session, episode_id=episode.id)
    else:
        # Created with the message's changes, by intake.
        episode = HeldEpisode(
            id=uuid.uuid4(), cpr=message.cpr, municipality_organisation_id=municipality_id
        )
        new_columns = {
            "id": episode.id,
            "owner": owner,
            "hospital_organisation_id": caller.organisation_id,
            "cpr": message.cpr,
            "created_at": now,
        }
        timeline = []
    # A key held by another episode of the citizen stays there: identifiers are unique.
    held_keys = {key for key, _ in held}
    new_identifiers = [
        EpisodeIdentifier(episode_id=episode.id, owner=owner, system=key.system, value=key.value)
        for key in keys
        if key not in held_keys
    ]
    return EpisodeMatch(episode, timeline, new_columns, new_identifiers)


def episode_changes(
    *, change: EpisodeChange, municipality: Receiver, now: datetime
) -> dict[str, Any]:
    """The episode's columns as the message leaves them."""
    values: dict[str, Any] = {
        "state": change.state,
        "municipality_organisation_id": municipality.id,
        "encounter_class": change.encounter_class,
        "admitted_at": change.admitted_at,
        "discharged_at": change.discharged_at,
        "planned_discharge_at": change.planned_discharge_at,
        "updated_at": now,
    }
    if change.content is not None:
        values["content"] = change.content.to_json()
    return values


def event_row(
    episode_id: uuid.UUID, event: TimelineEvent, message: InboundMessage, *, received_id: uuid.UUID
) -> EpisodeEvent:
    """The timeline row: times and status, never clinical content."""
    encounter = message.encounter
    return EpisodeEvent(
        episode_id=episode_id,
        received_message_id=received_id,
        code=event.code,
        header_id=event.header_id,
        target_header_id=event.target_header_id,
        replaced_by_header_id=event.replaced_by_header_id,
        occurred_at=event.occurred_at,
        message_timestamp=event.message_timestamp,
        details={
            "encounter_status": encounter.status,
            "encounter_class": encounter.encounter_class,
            "period_start": _iso(encounter.period_start),
            "period_end": _iso(encounter.period_end),
            "leave_start": _iso(encounter.leave_start),
            "leave_end": _iso(encounter.leave_end),
            "activity": message.provenance.activity,
        },
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
