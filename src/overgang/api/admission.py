"""Shedding load: a server that is behind answers a new message at once with 503 and Retry-After
instead of letting it wait in a queue until the sender gives up.

A sender that times out resends the message, so work taken on after its caller left is done
twice; a 503 with Retry-After is the answer HTTP and FHIR senders already retry on, and nothing
of the refused message is stored. Only the message routes are limited: reading an inbox, the
health checks and the metrics stay available however busy the server is.

Slots go to authenticated callers only (RequestGuard runs first), and each API client may hold
at most `per_client_limit` of them, so one busy or slow client cannot shut out the others.
"""

from __future__ import annotations

import uuid
from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

from overgang.api.errors import negotiated_in, operation_outcome, problem
from overgang.domain.issues import Issue
from overgang.metrics import MESSAGES_SHED

MESSAGE_ROUTES = frozenset({"/fhir/$process-message", "/api/v1/events"})
BUSY = "the server is busy with other messages; nothing was stored, resend after Retry-After"
CLIENT_BUSY = (
    "this client has the most messages in progress it may have; nothing was stored, "
    "resend after Retry-After"
)


class AdmissionLimit:
    """At most `limit` messages in progress in this process, and `per_client_limit` of one API
    client; 0 turns either off.

    The counts live on the event loop, which runs every `__call__` on one thread: no lock.
    """

    def __init__(
        self, app: ASGIApp, *, limit: int, per_client_limit: int, retry_after_seconds: int
    ) -> None:
        self.app = app
        self.limit = limit
        self.per_client_limit = per_client_limit
        self.retry_after = str(retry_after_seconds)
        self.in_progress = 0
        self.by_client: Counter[uuid.UUID] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._limited(scope):
            await self.app(scope, receive, send)
            return
        # RequestGuard, which runs first, put the authenticated caller there.
        client: uuid.UUID = scope["state"]["caller"].client_id
        reason = self._refusal(client)
        if reason is not None:
            MESSAGES_SHED.inc()
            if scope["path"].startswith("/fhir"):
                busy = operation_outcome(
                    503, [Issue(severity="error", code="throttled", diagnostics=reason)]
                )
            else:
                busy = problem(503, "Service busy", reason)
            busy.headers["Retry-After"] = self.retry_after
            await negotiated_in(scope, busy)(scope, receive, send)
            return
        self.in_progress += 1
        self.by_client[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
            self.by_client[client] -= 1
            if not self.by_client[client]:
                del self.by_client[client]  # a client that sent once is not kept for ever

    def _refusal(self, client: uuid.UUID) -> str | None:
        if self.limit and self.in_progress >= self.limit:
            return BUSY
        if self.per_client_limit and self.by_client[client] >= self.per_client_limit:
            return CLIENT_BUSY
        return None

    def _limited(self, scope: Scope) -> bool:
        return (
            (self.limit > 0 or self.per_client_limit > 0)
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in MESSAGE_ROUTES
        )
