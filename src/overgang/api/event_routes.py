"""The plain JSON route for hospital events."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from overgang.api.deps import CallerDep, message_intake, wake_delivery_worker
from overgang.api.errors import problem_responses
from overgang.api.event_schemas import EventAccepted, EventIn
from overgang.domain.limits import json_body_problem
from overgang.domain.messages import OrganisationRef
from overgang.metrics import MESSAGES_RECEIVED
from overgang.service.events import receive_event

# /api/v1/events bodies are small and flat; anything deeper is not an event.
MAX_EVENT_DEPTH = 16


class _StrictJsonRoute(APIRoute):
    """Reads the body with a stricter parse before FastAPI parses and validates it.

    FastAPI's parse keeps the last of two equal keys; the body is stored and forwarded as it came,
    so a receiver that keeps the first would read another CPR number. Anything this parse accepts,
    FastAPI's reads the same way, so the schema (and openapi.yaml) still describes the body.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def refuse_ambiguous_json(request: Request) -> Response:
            problem = json_body_problem(await request.body(), max_depth=MAX_EVENT_DEPTH)
            if problem is not None:
                location, message = problem
                raise RequestValidationError(
                    [{"loc": ("body", *location), "msg": message, "type": "value_error"}]
                )
            return await handler(request)

        return refuse_ambiguous_json


router = APIRouter(
    prefix="/api/v1/events", tags=["Hospital events (plain JSON)"], route_class=_StrictJsonRoute
)


@router.post(
    "",
    response_model=EventAccepted,
    responses=problem_responses(401, 403, 409, 422),
)
async def post_event(*, event: EventIn, request: Request, caller: CallerDep) -> Any:
    """Send one event of a stay as plain JSON; it is taken exactly as the FHIR message would be.

    Resending the same `event_id` is safe: the answer repeats and nothing is stored twice.
    """
    intake = message_intake(request)
    message = event.to_message(sender=OrganisationRef(sor=caller.sor))
    receipt = await run_in_threadpool(
        receive_event,
        sessions=intake.sessions,
        caller=caller,
        message=message,
        body=await request.body(),
        max_future_skew=timedelta(seconds=intake.settings.max_future_skew_seconds),
        checklists=intake.checklists,
        audit=intake.audit,
        now=datetime.now(UTC),
    )
    request.state.message_kind = message.kind.value
    MESSAGES_RECEIVED.labels(
        kind=message.kind.value, outcome="duplicate" if receipt.duplicate else "accepted"
    ).inc()
    if receipt.deliveries_queued:
        wake_delivery_worker(request)
    return {
        "event_id": event.event_id,
        "duplicate": receipt.duplicate,
        "notification_code": receipt.notification_code,
        "warnings": [issue.diagnostics for issue in receipt.issues],
    }
