"""What the webhook use cases answer with: frozen views of endpoints, deliveries and replay
outcomes, never a secret and never a storage row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from overgang.delivery.states import ReplayOutcome
from overgang.service.replaying import Replayed
from overgang.storage.models import Delivery, WebhookEndpoint


@dataclass(frozen=True)
class Endpoint:
    """A webhook endpoint and its health, without its secret (an ed25519 endpoint's public
    key is no secret)."""

    id: uuid.UUID
    url: str
    active: bool
    health: str
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    scheme: str
    public_key: str | None
    previous_secret_until: datetime | None

    @classmethod
    def of(cls, row: WebhookEndpoint) -> Endpoint:
        return cls(
            id=row.id,
            url=row.url,
            active=row.active,
            health=row.health,
            consecutive_failures=row.consecutive_failures,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
            scheme=row.scheme,
            public_key=row.public_key,
            previous_secret_until=row.previous_secret_until,
        )


@dataclass(frozen=True)
class DeliveryStatus:
    """Where one push of an inbox message to one endpoint stands."""

    id: uuid.UUID
    inbox_message_id: uuid.UUID
    endpoint_id: uuid.UUID
    sequence: int
    state: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryStatus:
        return cls(
            id=row.id,
            inbox_message_id=row.inbox_message_id,
            endpoint_id=row.endpoint_id,
            sequence=row.sequence,
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )


@dataclass(frozen=True)
class ReplayResult:
    """One delivery asked about in a replay: what was done, and the delivery that now carries
    its message (None when nothing does)."""

    delivery_id: uuid.UUID
    outcome: ReplayOutcome
    carrier: DeliveryStatus | None

    @classmethod
    def of(cls, replayed: Replayed) -> ReplayResult:
        carrier = DeliveryStatus.of(replayed.carrier) if replayed.carrier else None
        return cls(delivery_id=replayed.asked, outcome=replayed.outcome, carrier=carrier)
