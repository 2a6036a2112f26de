"""The municipality's inbox: list, read (JSON or FHIR) and acknowledge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator

from overgang.api.deps import AuditDep, CallerDep, SessionsDep
from overgang.api.errors import problem_responses
from overgang.api.fhir_format import FHIR_JSON, FHIR_XML, chosen_format, fhir_response
from overgang.api.schemas import AckIn, AckOut, InboxMessageOut, InboxPageOut
from overgang.domain import limits
from overgang.service import inbox

router = APIRouter(prefix="/api/v1/inbox", tags=["Municipality inbox"])


def _item(item: inbox.InboxItem) -> dict[str, Any]:
    message = item.message
    return {
        "id": message.id,
        "sequence": message.sequence,
        "kind": message.kind,
        "notification_code": message.notification_code,
        "episode": item.episode_identifier,
        "cpr": item.episode.cpr,
        "status": message.status,
        "created_at": message.created_at,
        "acknowledged_at": message.acknowledged_at,
        "reject_reason": message.reject_reason,
        "checklist": message.checklist,
        "payload_deleted_at": message.payload_deleted_at,
    }


def _within_sequence_range(cursor: str | None) -> str | None:
    if cursor and limits.integer_problem(int(cursor)):
        raise ValueError(f"the cursor is at most {limits.INT32_MAX}")
    return cursor


@router.get("", response_model=InboxPageOut, responses=problem_responses(401, 403, 422))
def list_inbox(
    caller: CallerDep,
    sessions: SessionsDep,
    audit: AuditDep,
    after: Annotated[
        str | None,
        Query(
            # Sequence numbers are 32-bit in the database: a larger cursor is none handed out.
            pattern=r"^[0-9]{0,10}$",
            description="The `next_cursor` of the previous page: the last sequence number seen. "
            "After a gap in pushed sequence numbers, pull from the last one received.",
        ),
        AfterValidator(_within_sequence_range),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=inbox.MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """The calling municipality's messages, oldest first, after the cursor."""
    page = inbox.list_inbox(sessions=sessions, caller=caller, after=after, limit=limit, audit=audit)
    return {"items": [_item(item) for item in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/{message_id}",
    response_model=InboxMessageOut,
    responses={
        200: {
            "description": "The message as JSON, or with `Accept: application/fhir+json` (or "
            "`application/fhir+xml`) the FHIR message Bundle in that format",
            "content": {
                FHIR_JSON: {"schema": {"type": "object"}},
                FHIR_XML: {"schema": {"type": "string"}},
            },
        },
        **problem_responses(401, 403, 404, 410, 422),
    },
)
def get_inbox_message(
    message_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    sessions: SessionsDep,
    audit: AuditDep,
) -> Any:
    """One message addressed to the calling municipality."""
    item = inbox.get_inbox_message(
        sessions=sessions, caller=caller, message_id=message_id, audit=audit
    )
    accept = request.headers.get("accept", "")
    if FHIR_JSON in accept or FHIR_XML in accept:
        return fhir_response(item.message.body, chosen_format(request))
    return {**_item(item), "message": orjson.loads(item.message.body)}


@router.post(
    "/{message_id}/ack", response_model=AckOut, responses=problem_responses(401, 403, 404, 422)
)
def acknowledge(
    message_id: uuid.UUID, answer: AckIn, caller: CallerDep, sessions: SessionsDep, audit: AuditDep
) -> Any:
    """Accept or reject a message. Sending the same answer again is harmless."""
    message = inbox.acknowledge(
        sessions=sessions,
        caller=caller,
        message_id=message_id,
        accepted=answer.status == "accepted",
        reason=answer.reason,
        audit=audit,
        now=datetime.now(UTC),
    )
    return {
        "id": message.id,
        "status": message.status,
        "acknowledged_at": message.acknowledged_at,
        "reject_reason": message.reject_reason,
    }
