"""The outbox's states, named once: a delivery's and an endpoint's."""

from __future__ import annotations

from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "pending"  # due now or at next_attempt_at
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # the retry schedule ran out: a dead letter, replayable
    CANCELLED = "cancelled"  # its endpoint was disabled before it was delivered
    # A dead or cancelled delivery whose message a replay sent to the municipality's current
    # endpoint instead, as another delivery: no longer a dead letter.
    REROUTED = "rerouted"


class EndpointHealth(StrEnum):
    HEALTHY = "healthy"
    FAILING = "failing"  # several failures in a row: alerted once, still tried
    DISABLED = "disabled"  # no longer pushed to (410 Gone, or deactivated)


class SigningScheme(StrEnum):
    """How an endpoint's messages are signed (Standard Webhooks)."""

    HMAC_SHA256 = "hmac-sha256"  # a shared whsec_ secret, v1 signatures
    ED25519 = "ed25519"  # Overgang keeps the private key, the municipality the whpk_ public key


class ReplayOutcome(StrEnum):
    """What a replay did with one delivery: exactly this, never "queued" for a message that
    was not."""

    QUEUED = "queued"  # pending again, or a new pending delivery to the current endpoint
    ALREADY_PENDING = "already-pending"  # on its way already: nothing added
    ALREADY_DELIVERED = "already-delivered"  # the receiver has it: not sent again
    NO_ACTIVE_ENDPOINT = "no-active-endpoint"  # the municipality has nowhere to push to
    NOT_FOUND = "not-found"  # no such delivery (of this municipality)
