"""Requests per second per API client: a token bucket for each client, in this process.

Each process counts on its own (with `serve --workers N` a client may make N times the rate):
enough to stop one runaway partner from crowding out the others, without a shared store. A
refusal is 429 with Retry-After, in the form the route's callers read.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from overgang.api.errors import negotiated_in, operation_outcome, problem
from overgang.domain.issues import Issue

TOO_MANY = "this client made more requests than it may; nothing was done, retry after Retry-After"


class RateLimits:
    """Token buckets by client: `per_second` refill, at most `burst` (0 per second: no limit).

    Used only from the event loop, which runs one request's check at a time: no lock.
    """

    def __init__(
        self,
        *,
        per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self._max_clients = max_clients
        self._buckets: dict[uuid.UUID, tuple[float, float]] = {}  # tokens, at

    def wait_seconds(self, client: uuid.UUID) -> int:
        """0 when the client may go on (and takes a token), else whole seconds to wait."""
        if self.per_second <= 0:
            return 0
        now = self.clock()
        tokens, at = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.per_second))
        if len(self._buckets) >= self._max_clients and client not in self._buckets:
            self._buckets.clear()  # a full bucket is what a forgotten client gets anyway
        self._buckets[client] = (tokens - 1, now)
        return 0


class RateLimit:
    """Refuse an authenticated client's request past its rate with 429 and Retry-After."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = scope.get("state", {}).get("caller") if scope["type"] == "http" else None
        if caller is None:  # public paths and the token endpoint
            await self.app(scope, receive, send)
            return
        limits: RateLimits = scope["app"].state.rate_limits
        wait = limits.wait_seconds(caller.client_id)
        if not wait:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/fhir"):
            refusal = operation_outcome(
                429, [Issue(severity="error", code="throttled", diagnostics=TOO_MANY)]
            )
        else:
            refusal = problem(429, "Too many requests", TOO_MANY)
        refusal.headers["Retry-After"] = str(wait)
        await negotiated_in(scope, refusal)(scope, receive, send)
