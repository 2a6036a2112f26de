"""The FHIR endpoint hospitals send their messages to."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from overgang.api.deps import CallerDep, SettingsDep, message_intake, wake_delivery_worker
from overgang.api.errors import outcome_responses
from overgang.api.fhir_format import (
    FHIR_JSON,
    FHIR_XML,
    FORMAT_PARAMETER,
    chosen_format,
    fhir_response,
    format_of_content_type,
)
from overgang.fhir.capability import capability_statement
from overgang.metrics import MESSAGES_RECEIVED
from overgang.service.process import ProcessOutcome, process_message

router = APIRouter(prefix="/fhir", tags=["FHIR messaging"])


@router.post(
    "/$process-message",
    summary="Send a FHIR message (HospitalNotification, discharge-plan or discharge-handover)",
    response_class=Response,
    responses={
        200: {
            "description": "Accepted (or a resend of an accepted message): a MedCom "
            "Acknowledgement Bundle with response.code ok, and warnings if any; in the format "
            "the message came in, unless `_format` or `Accept` ask for the other",
            "content": {
                FHIR_JSON: {"schema": {"type": "object"}},
                FHIR_XML: {"schema": {"type": "string"}},
            },
        },
        **outcome_responses(400, 401, 403, 409, 415, 422),
    },
    openapi_extra={
        "parameters": [FORMAT_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                "application/fhir+json": {"schema": {"type": "object"}},
                "application/fhir+xml": {"schema": {"type": "string"}},
            },
        },
    },
)
async def process_message_endpoint(request: Request, caller: CallerDep) -> Response:
    """Validate, store and route one FHIR message Bundle; answer with a MedCom Acknowledgement."""
    intake = message_intake(request)
    # RequestGuard caps the body's size and the time it takes to arrive.
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    outcome = await run_in_threadpool(
        process_message,
        sessions=intake.sessions,
        caller=caller,
        body=body,
        content_type=content_type,
        settings=intake.settings,
        checklists=intake.checklists,
        audit=intake.audit,
        now=datetime.now(UTC),
    )
    request.state.message_kind = outcome.kind
    MESSAGES_RECEIVED.labels(kind=outcome.kind or "unknown", outcome=_outcome_label(outcome)).inc()
    if outcome.receipt is not None and outcome.receipt.deliveries_queued:
        wake_delivery_worker(request)
    answer_format = chosen_format(request, default=format_of_content_type(content_type))
    return fhir_response(outcome.resource, answer_format, status_code=outcome.status)


@router.get(
    "/metadata",
    summary="The server's CapabilityStatement (no token needed)",
    response_class=Response,
    responses={
        200: {
            "description": "A FHIR CapabilityStatement: `$process-message` and the message "
            "events accepted, as JSON or, with `_format` or `Accept`, XML",
            "content": {
                FHIR_JSON: {"schema": {"type": "object"}},
                FHIR_XML: {"schema": {"type": "string"}},
            },
        },
    },
    openapi_extra={"parameters": [FORMAT_PARAMETER]},
)
def metadata(request: Request, settings: SettingsDep) -> Response:
    """What this server does, as FHIR clients ask for it before anything else."""
    statement = capability_statement(
        base_url=settings.public_base_url,
        software_version=version("overgang"),
        date=datetime.now(UTC),
    )
    return fhir_response(statement, chosen_format(request))


def _outcome_label(outcome: ProcessOutcome) -> str:
    if outcome.receipt is None:
        return "refused" if outcome.status >= 400 else "recorded"
    return "duplicate" if outcome.receipt.duplicate else "accepted"
