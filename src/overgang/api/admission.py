"""Shedding load: a server that is behind answers a new message at once with 503 and Retry-After
instead of letting it wait in a queue until the sender gives up.

A sender that times out resends the message, so work taken on after its caller left is done
twice; a 503 with Retry-After is the answer HTTP and FHIR senders already retry on, and nothing
of the refused message is stored. Only the message routes are limited: reading an inbox, the
health checks and the metrics stay available however busy the server is.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from overgang.api.errors import operation_outcome, problem
from overgang.domain.issues import Issue
from overgang.metrics import MESSAGES_SHED

MESSAGE_ROUTES = frozenset({"/fhir/$process-message", "/api/v1/events"})
BUSY = "the server is busy with other messages; nothing was stored, resend after Retry-After"


class AdmissionLimit:
    """At most `limit` messages in progress in this process; 0 turns the limit off.

    The count lives on the event loop, which runs every `__call__` on one thread: no lock.
    """

    def __init__(self, app: ASGIApp, *, limit: int, retry_after_seconds: int) -> None:
        self.app = app
        self.limit = limit
        self.retry_after = str(retry_after_seconds)
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._limited(scope):
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            MESSAGES_SHED.inc()
            if scope["path"].startswith("/fhir"):
                busy = operation_outcome(
                    503, [Issue(severity="error", code="throttled", diagnostics=BUSY)]
                )
            else:
                busy = problem(503, "Service busy", BUSY)
            busy.headers["Retry-After"] = self.retry_after
            await busy(scope, receive, send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1

    def _limited(self, scope: Scope) -> bool:
        return (
            self.limit > 0
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in MESSAGE_ROUTES
        )
