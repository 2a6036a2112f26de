"""Reading an episode: its state, timeline and what reached the municipality."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from overgang.api.deps import AuditDep, CallerDep, ChecklistsDep, SessionsDep
from overgang.api.errors import problem_responses
from overgang.api.schemas import ChecklistOut, EpisodeOut, PreflightOut, ReadinessIn
from overgang.checklist import ChecklistResult
from overgang.service import episodes, readiness

router = APIRouter(prefix="/api/v1/episodes", tags=["Episodes"])


@router.get("/{episode}", response_model=EpisodeOut, responses=problem_responses(401, 404, 422))
def get_episode(episode: str, caller: CallerDep, sessions: SessionsDep, audit: AuditDep) -> Any:
    """The episode's state and timeline, for the sending hospital and the addressed municipality."""
    view = episodes.get_episode(sessions=sessions, caller=caller, identifier=episode, audit=audit)
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
                "delivered_at": message.delivered_at,
                "acknowledged_at": message.acknowledged_at,
                "reject_reason": message.reject_reason,
                "follow_up_flagged_at": message.follow_up_flagged_at,
                "undelivered_reported_at": message.undelivered_reported_at,
            }
            for message in view.inbox_messages
        ],
        "content": record.content,
        "readiness": None
        if record.readiness_answered_at is None
        else {
            "ready": record.readiness_ready,
            "ready_from": record.readiness_from,
            "reason": record.readiness_reason,
            "answered_at": record.readiness_answered_at,
        },
        "checklist": None
        if view.evaluation is None
        else {
            "evaluated_at": view.evaluation.evaluated_at,
            "trigger": view.evaluation.trigger,
            "judged": view.evaluation.judged_time,
            "discharge_at": view.evaluation.discharge_at,
            "result": view.evaluation.result,
        },
    }


def _checklist_out(result: ChecklistResult) -> dict[str, Any]:
    return {
        **result.to_json(),
        "items": [
            {**item.to_json(), "title": item.title_da, "explanation": item.explanation}
            for item in result.items
        ],
    }


@router.get(
    "/{episode}/readiness",
    response_model=PreflightOut,
    responses=problem_responses(401, 404, 422),
)
def get_readiness(
    episode: str,
    caller: CallerDep,
    sessions: SessionsDep,
    checklists: ChecklistsDep,
    audit: AuditDep,
) -> Any:
    """Pre-flight: what is still missing if the ward discharges at the planned time."""
    found = readiness.preflight(
        sessions=sessions, caller=caller, identifier=episode, checklists=checklists, audit=audit
    )
    return {
        "episode": episode,
        "judged": found.judged,
        "discharge_at": found.discharge_at,
        "checklist": _checklist_out(found.result),
    }


@router.post(
    "/{episode}/readiness",
    response_model=ChecklistOut,
    responses=problem_responses(401, 403, 404, 422),
)
def post_readiness(
    episode: str,
    answer: ReadinessIn,
    *,
    caller: CallerDep,
    sessions: SessionsDep,
    checklists: ChecklistsDep,
    audit: AuditDep,
) -> Any:
    """The addressed municipality answers the discharge plan: ready from a date, or not and why.

    The episode is judged again at once; the answer shows the checklist result it gave.
    """
    result = readiness.answer_readiness(
        sessions=sessions,
        caller=caller,
        identifier=episode,
        ready=answer.ready,
        ready_from=answer.ready_from,
        reason=answer.reason,
        checklists=checklists,
        audit=audit,
        now=datetime.now(UTC),
    )
    return _checklist_out(result)
