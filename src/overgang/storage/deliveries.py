"""Queries of the push outbox: endpoints, deliveries and their attempts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from overgang.delivery.states import DeliveryState
from overgang.storage.models import Delivery, InboxMessage, WebhookEndpoint
from overgang.storage.types import UTCDateTime

PENDING = DeliveryState.PENDING.value


def _due() -> ColumnElement[bool]:
    """Pending, due at `:now`, not leased, and not behind an earlier pending message of its
    episode."""
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    earlier = aliased(Delivery)
    blocked = exists().where(
        earlier.endpoint_id == Delivery.endpoint_id,
        earlier.episode_id == Delivery.episode_id,
        earlier.sequence < Delivery.sequence,
        earlier.state == PENDING,
    )
    return and_(
        Delivery.state == PENDING,
        Delivery.next_attempt_at <= now,
        or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
        ~blocked,
    )


# A sender runs this every round, so it is built once (building costs more than running it).
_DUE_WITH_SEND_DATA = (
    select(
        Delivery.id,
        InboxMessage.id,
        WebhookEndpoint.url,
        InboxMessage.body,
        InboxMessage.sequence,
        InboxMessage.kind,
        WebhookEndpoint.id,
        WebhookEndpoint.secret_key_id,
        WebhookEndpoint.sealed_secret,
        WebhookEndpoint.previous_secret_key_id,
        WebhookEndpoint.previous_sealed_secret,
        WebhookEndpoint.previous_secret_until,
    )
    .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
    .join(InboxMessage, InboxMessage.id == Delivery.inbox_message_id)
    .where(_due())
    .order_by(Delivery.next_attempt_at)
    .limit(bindparam("limit"))
)
_INBOX = cast(Table, InboxMessage.__table__)
_DELIVERIES = cast(Table, Delivery.__table__)
# Plain Core statements: the ORM's bulk-update machinery costs more than the UPDATE itself.
_MARK_DELIVERED = (
    update(_INBOX)
    .where(_INBOX.c.id.in_(bindparam("ids", expanding=True)), _INBOX.c.status == PENDING)
    .values(status="delivered", delivered_at=bindparam("now", type_=UTCDateTime()))
)
_LEASE = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id.in_(bindparam("ids", expanding=True)),
        _DELIVERIES.c.state == PENDING,
        or_(
            _DELIVERIES.c.leased_until.is_(None),
            _DELIVERIES.c.leased_until < bindparam("now", type_=UTCDateTime()),
        ),
    )
    .values(leased_until=bindparam("lease_until", type_=UTCDateTime()))
    .returning(_DELIVERIES.c.id)
)


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what sending it needs, read in the claiming query. The secrets
    stay sealed until the moment of signing (a NULL key id: stored in the clear before 0007)."""

    delivery_id: uuid.UUID
    message_id: uuid.UUID
    url: str
    body: bytes
    sequence: int
    kind: str
    endpoint_id: uuid.UUID
    secret_key_id: str | None
    sealed_secret: str
    previous_secret_key_id: str | None = None
    previous_sealed_secret: str | None = None
    previous_secret_until: datetime | None = None


def claim_due_deliveries(
    *, session: Session, now: datetime, lease_until: datetime | None, limit: int, skip_locked: bool
) -> list[DueDelivery]:
    """Claim up to `limit` due deliveries, oldest due first, in one query.

    PostgreSQL (`skip_locked`): the rows are locked `FOR NO KEY UPDATE SKIP LOCKED`, so many
    workers claim side by side without waiting on each other, and the lock lasts as long as the
    caller's transaction. With `lease_until` the rows are also leased, for a claim that outlives
    its transaction. SQLite has no row locks: there the lease is the claim, taken by a
    conditional UPDATE, and a row another worker leased in the meantime is simply not taken.
    """
    query = _DUE_WITH_SEND_DATA
    if skip_locked:
        query = query.with_for_update(skip_locked=True, key_share=True, of=Delivery)
    due = [DueDelivery(*row) for row in session.execute(query, {"now": now, "limit": limit})]
    if not due or lease_until is None:
        return due
    ids = [row.delivery_id for row in due]
    leased = set(session.scalars(_LEASE, {"ids": ids, "now": now, "lease_until": lease_until}))
    return [row for row in due if row.delivery_id in leased]


def active_endpoints_oldest_first(
    *, session: Session, municipality_id: uuid.UUID
) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.municipality_organisation_id == municipality_id,
                WebhookEndpoint.active.is_(True),
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def delivery_of(
    *, session: Session, inbox_message_id: uuid.UUID, endpoint_id: uuid.UUID
) -> Delivery | None:
    """The delivery of this message to this endpoint, if there is one (there is at most one)."""
    return session.scalars(
        select(Delivery).where(
            Delivery.inbox_message_id == inbox_message_id, Delivery.endpoint_id == endpoint_id
        )
    ).one_or_none()


def lock_deliveries(*, session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Delivery]:
    """The deliveries with these ids, row-locked (PostgreSQL) in id order against deadlocks."""
    return {
        row.id: row
        for row in session.scalars(
            select(Delivery)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.id)
            .with_for_update(key_share=True)
        )
    }


def lock_endpoints(
    *, session: Session, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, WebhookEndpoint]:
    """The endpoints with these ids, row-locked (PostgreSQL) in id order against deadlocks.

    FOR NO KEY UPDATE: new deliveries referencing an endpoint (their foreign-key check takes
    KEY SHARE) are not held up while outcomes are recorded.
    """
    return {
        row.id: row
        for row in session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(sorted(set(ids))))
            .order_by(WebhookEndpoint.id)
            .with_for_update(key_share=True)
        )
    }


def mark_inbox_delivered(*, session: Session, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Pending inbox messages become delivered; an acknowledged one stays acknowledged."""
    if ids:
        session.execute(_MARK_DELIVERED, {"ids": list(ids), "now": now})


def cancel_pending_for_endpoint(*, session: Session, endpoint_id: uuid.UUID) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.state == PENDING)
        .values(state=DeliveryState.CANCELLED.value, leased_until=None)
        .execution_options(synchronize_session=False)
    )


def endpoints_with_secrets(*, session: Session) -> list[WebhookEndpoint]:
    """Every endpoint, locked (PostgreSQL) in id order: their secrets are about to be resealed."""
    return list(
        session.scalars(
            select(WebhookEndpoint).order_by(WebhookEndpoint.id).with_for_update(key_share=True)
        )
    )


def secret_key_ids_in_use(*, session: Session) -> dict[str | None, int]:
    """How many stored secrets each key id seals (None: in the clear, from before 0007)."""
    counts: dict[str | None, int] = {}
    for column in (WebhookEndpoint.secret_key_id, WebhookEndpoint.previous_secret_key_id):
        query = select(column, func.count()).group_by(column)
        if column is WebhookEndpoint.previous_secret_key_id:
            query = query.where(WebhookEndpoint.previous_sealed_secret.is_not(None))
        for key_id, count in session.execute(query):
            counts[key_id] = counts.get(key_id, 0) + count
    return counts


def list_deliveries(
    *,
    session: Session,
    states: tuple[str, ...] | None,
    municipality_id: uuid.UUID | None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.created_at)
    if states:
        query = query.where(Delivery.state.in_(states))
    if municipality_id:
        query = query.where(Delivery.municipality_organisation_id == municipality_id)
    if since:
        query = query.where(Delivery.created_at >= since)
    return list(session.scalars(query.limit(limit)))
