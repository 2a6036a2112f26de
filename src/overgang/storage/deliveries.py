"""Queries of the push outbox: endpoints, deliveries and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from overgang.storage.models import Delivery, WebhookEndpoint

PENDING = "pending"


def active_endpoints(*, session: Session, municipality_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.municipality_organisation_id == municipality_id,
                WebhookEndpoint.active.is_(True),
            )
        )
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending, due, not leased, and not behind an earlier pending message of its episode."""
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


def any_due(*, session: Session, now: datetime) -> bool:
    """Whether a round would find work: one cheap query instead of a claim per sender thread."""
    return session.scalar(select(exists().where(_due(now)))) is True


def claim_due_deliveries(
    *, session: Session, now: datetime, lease_until: datetime, limit: int, skip_locked: bool
) -> list[Delivery]:
    """Lease up to `limit` due deliveries to this worker.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets many workers claim side by side without
    waiting on each other. SQLite has no row locks: there a conditional UPDATE claims each row,
    and a row another worker leased in the meantime is simply not taken.
    """
    query = select(Delivery).where(_due(now)).order_by(Delivery.next_attempt_at).limit(limit)
    if skip_locked:
        rows = list(
            session.scalars(query.with_for_update(skip_locked=True, key_share=True, of=Delivery))
        )
        for row in rows:
            row.leased_until = lease_until
        return rows
    claimed = []
    for row in session.scalars(query).all():
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id == row.id,
                Delivery.state == PENDING,
                or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
            )
            .values(leased_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.refresh(row)
            claimed.append(row)
    return claimed


def cancel_pending_for_endpoint(*, session: Session, endpoint_id: uuid.UUID) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.state == PENDING)
        .values(state="cancelled", leased_until=None)
        .execution_options(synchronize_session=False)
    )


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
