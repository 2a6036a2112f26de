"""Replaying dead letters. A dead letter belongs to the municipality, not to the endpoint that
could not take it: while that endpoint is active the delivery simply starts again, otherwise
its message goes to the municipality's current endpoint(s) as a new delivery and the old one
is marked `rerouted`. Each delivery asked about gets its own outcome (`ReplayOutcome`), so one
that cannot be replayed never stops the others, and a message already delivered or on its way
is reported as such, not as queued."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from overgang.delivery.states import DeliveryState, ReplayOutcome
from overgang.storage import deliveries as delivery_store
from overgang.storage.models import Delivery, WebhookEndpoint

REPLAYABLE = (DeliveryState.DEAD, DeliveryState.CANCELLED, DeliveryState.REROUTED)


@dataclass(frozen=True)
class Replayed:
    """One delivery asked about, what the replay did, and the delivery that now carries its
    message (the same one, or a new one to the current endpoint); None when nothing does."""

    asked: uuid.UUID
    outcome: ReplayOutcome
    carrier: Delivery | None


def replay_deliveries(
    *,
    session: Session,
    now: datetime,
    delivery_ids: Sequence[uuid.UUID] | None = None,
    municipality_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> list[Replayed]:
    """These deliveries (of this municipality, when given), or the municipality's dead and
    cancelled ones since a time, each sent again where it can go."""
    if delivery_ids:
        found = delivery_store.lock_deliveries(session=session, ids=sorted(set(delivery_ids)))
        asked: list[uuid.UUID | Delivery] = []
        for delivery_id in delivery_ids:
            row = found.get(delivery_id)
            ours = row is not None and municipality_id in (None, row.municipality_organisation_id)
            asked.append(row if ours and row is not None else delivery_id)
    else:
        listed = delivery_store.list_deliveries(
            session=session,
            states=(DeliveryState.DEAD, DeliveryState.CANCELLED),
            municipality_id=municipality_id,
            since=since,
        )
        locked = delivery_store.lock_deliveries(
            session=session, ids=sorted(row.id for row in listed)
        )
        asked = [locked[row.id] for row in listed if row.id in locked]
    results: list[Replayed] = []
    for item in asked:
        if isinstance(item, Delivery):
            results.extend(_replay_one(session=session, row=item, now=now))
        else:
            results.append(Replayed(item, ReplayOutcome.NOT_FOUND, None))
    return results


def _replay_one(*, session: Session, row: Delivery, now: datetime) -> list[Replayed]:
    if row.state == DeliveryState.DELIVERED:
        return [Replayed(row.id, ReplayOutcome.ALREADY_DELIVERED, row)]
    if row.state == DeliveryState.PENDING:
        return [Replayed(row.id, ReplayOutcome.ALREADY_PENDING, row)]
    endpoint = session.get_one(WebhookEndpoint, row.endpoint_id)
    if endpoint.active and row.state != DeliveryState.REROUTED:
        _restart(row, now)
        return [Replayed(row.id, ReplayOutcome.QUEUED, row)]
    targets = delivery_store.active_endpoints_oldest_first(
        session=session, municipality_id=row.municipality_organisation_id
    )
    if not targets:
        return [Replayed(row.id, ReplayOutcome.NO_ACTIVE_ENDPOINT, None)]
    results = [_send_to(session=session, row=row, target=target, now=now) for target in targets]
    if all(result.carrier is not row for result in results):
        # Carried elsewhere now. (A rerouted delivery whose endpoint was reactivated since is
        # itself one of the targets, and was just restarted.)
        row.state = DeliveryState.REROUTED
        row.leased_until = None
    return results


def _send_to(
    *, session: Session, row: Delivery, target: WebhookEndpoint, now: datetime
) -> Replayed:
    """The message of `row` to another endpoint, unless that endpoint has it or will."""
    existing = delivery_store.delivery_of(
        session=session, inbox_message_id=row.inbox_message_id, endpoint_id=target.id
    )
    if existing is None:
        existing = Delivery(
            id=uuid.uuid4(),
            inbox_message_id=row.inbox_message_id,
            endpoint_id=target.id,
            municipality_organisation_id=row.municipality_organisation_id,
            episode_id=row.episode_id,
            sequence=row.sequence,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(existing)
        return Replayed(row.id, ReplayOutcome.QUEUED, existing)
    if existing.state == DeliveryState.DELIVERED:
        return Replayed(row.id, ReplayOutcome.ALREADY_DELIVERED, existing)
    if existing.state == DeliveryState.PENDING:
        return Replayed(row.id, ReplayOutcome.ALREADY_PENDING, existing)
    _restart(existing, now)
    return Replayed(row.id, ReplayOutcome.QUEUED, existing)


def _restart(row: Delivery, now: datetime) -> None:
    """Pending again, from its first attempt."""
    row.state = DeliveryState.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.leased_until = None
