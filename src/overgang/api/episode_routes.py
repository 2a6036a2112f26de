"""Reading an episode: its state, timeline and what reached the municipality."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from overgang.api.deps import AuditDep, CallerDep, SessionsDep
from overgang.api.errors import problem_responses
from overgang.api.schemas import EpisodeOut
from overgang.service import episodes
from overgang.storage.db import transaction

router = APIRouter(prefix="/api/v1/episodes", tags=["Episodes"])


@router.get("/{episode}", response_model=EpisodeOut, responses=problem_responses(401, 404, 422))
def get_episode(episode: str, caller: CallerDep, sessions: SessionsDep, audit: AuditDep) -> Any:
    """The episode's state and timeline, for the sending hospital and the addressed municipality."""
    with transaction(sessions) as session:
        view = episodes.get_episode(session=session, caller=caller, identifier=episode, audit=audit)

    record = view.episode
    local = next((i for i in view.identifiers if i.system.startswith("https://sor2.")), None)
    return {
        "episode": (local or view.identifiers[0]).value,
        "identifiers": [{"system": i.system, "value": i.value} for i in view.identifiers],
        "state": record.state,
        "cpr": record.cpr,
        "encounter_class": record.encounter_class,
        "admitted_at": record.admitted_at,
        "planned_discharge_at": record.planned_discharge_at,
        "discharged_at": record.discharged_at,
        "hospital_sor": view.hospital.sor,
        "municipality_code": view.municipality.municipality_code,
        "timeline": [
            {
                "code": event.code,
                "header_id": event.header_id,
                "occurred_at": event.occurred_at,
                "message_timestamp": event.message_timestamp,
                "follows_header_id": event.target_header_id,
                "replaced_by_header_id": event.replaced_by_header_id,
                "details": event.details,
            }
            for event in view.timeline
        ],
        "messages_to_municipality": [
            {
                "id": message.id,
                "kind": message.kind,
                "notification_code": message.notification_code,
                "status": message.status,
                "created_at": message.created_at,
                "acknowledged_at": message.acknowledged_at,
                "reject_reason": message.reject_reason,
            }
            for message in view.inbox_messages
        ],
        "content": record.content,
    }
