"""The outbox's states, named once: a delivery's and an endpoint's."""

from __future__ import annotations

from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "pending"  # due now or at next_attempt_at
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # the retry schedule ran out: a dead letter, replayable
    CANCELLED = "cancelled"  # its endpoint was disabled before it was delivered


class EndpointHealth(StrEnum):
    HEALTHY = "healthy"
    FAILING = "failing"  # several failures in a row: alerted once, still tried
    DISABLED = "disabled"  # no longer pushed to (410 Gone, or deactivated)
