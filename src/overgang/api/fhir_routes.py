"""The FHIR endpoint hospitals send their messages to."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from overgang.api.deps import (
    AuditDep,
    CallerDep,
    ChecklistsDep,
    SessionsDep,
    SettingsDep,
    wake_delivery_worker,
)
from overgang.api.errors import FHIR_JSON, outcome_responses
from overgang.metrics import MESSAGES_RECEIVED
from overgang.service.process import ProcessOutcome, process_message

router = APIRouter(prefix="/fhir", tags=["FHIR messaging"])


@router.post(
    "/$process-message",
    summary="Send a FHIR message (HospitalNotification, discharge-plan or discharge-handover)",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "Accepted (or a resend of an accepted message): a MedCom "
            "Acknowledgement Bundle with response.code ok, and warnings if any",
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        },
        **outcome_responses(400, 401, 403, 409, 415, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/fhir+json": {"schema": {"type": "object"}},
                "application/fhir+xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def process_message_endpoint(
    *,
    request: Request,
    caller: CallerDep,
    audit: AuditDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    checklists: ChecklistsDep,
) -> JSONResponse:
    """Validate, store and route one FHIR message Bundle; answer with a MedCom Acknowledgement."""
    # RequestGuard caps the body's size and the time it takes to arrive.
    body = await request.body()
    outcome = await run_in_threadpool(
        process_message,
        sessions=sessions,
        caller=caller,
        body=body,
        content_type=request.headers.get("content-type", ""),
        settings=settings,
        checklists=checklists,
        audit=audit,
        now=datetime.now(UTC),
    )
    request.state.message_kind = outcome.kind
    MESSAGES_RECEIVED.labels(kind=outcome.kind or "unknown", outcome=_outcome_label(outcome)).inc()
    if outcome.receipt is not None and not outcome.receipt.duplicate:
        wake_delivery_worker(request)
    return JSONResponse(outcome.resource, status_code=outcome.status, media_type=FHIR_JSON)


def _outcome_label(outcome: ProcessOutcome) -> str:
    if outcome.receipt is None:
        return "refused" if outcome.status >= 400 else "recorded"
    return "duplicate" if outcome.receipt.duplicate else "accepted"
