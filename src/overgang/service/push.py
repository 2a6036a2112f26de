"""Pushing inbox messages to municipalities' webhooks: the outbox, one round of sending, and
recording what happened.

Deliveries are written in the same transaction as the inbox message (nothing is sent before
commit, nothing committed is lost). A worker leases due rows, sends outside any transaction,
and records each outcome in a transaction of its own; a crash between the two leaves a lease
that expires, and the message is sent again with the same webhook-id for the receiver to
de-duplicate.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.backoff import (
    DEFAULT_SCHEDULE,
    next_delay,
    parse_retry_after,
    parse_schedule,
)
from overgang.delivery.sender import AttemptOutcome, send
from overgang.delivery.signing import signed_headers
from overgang.delivery.targets import (
    UnresolvableWebhookHost,
    UnsafeWebhookUrl,
    check_webhook_url,
)
from overgang.metrics import DELIVERIES_FINISHED, DELIVERY_ATTEMPTS
from overgang.storage import deliveries as delivery_store
from overgang.storage.db import transaction
from overgang.storage.models import Delivery, DeliveryAttempt, InboxMessage, WebhookEndpoint

log = logging.getLogger("overgang.delivery")


def enqueue_deliveries(*, session: Session, inbox_message: InboxMessage, now: datetime) -> int:
    """One outbox row per active endpoint of the addressed municipality."""
    endpoints = delivery_store.active_endpoints(
        session=session, municipality_id=inbox_message.municipality_organisation_id
    )
    for endpoint in endpoints:
        session.add(
            Delivery(
                inbox_message_id=inbox_message.id,
                endpoint_id=endpoint.id,
                municipality_organisation_id=inbox_message.municipality_organisation_id,
                episode_id=inbox_message.episode_id,
                sequence=inbox_message.sequence,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return len(endpoints)


@dataclass(frozen=True)
class Job:
    """What one send needs, read while the lease was taken."""

    delivery_id: uuid.UUID
    message_id: uuid.UUID
    url: str
    secret: str
    body: bytes
    sequence: int
    kind: str


def _job(session: Session, row: Delivery) -> Job:
    endpoint = session.get_one(WebhookEndpoint, row.endpoint_id)
    message = session.get_one(InboxMessage, row.inbox_message_id)
    return Job(
        delivery_id=row.id,
        message_id=message.id,
        url=endpoint.url,
        secret=endpoint.secret,
        body=message.body,
        sequence=message.sequence,
        kind=message.kind,
    )


def claim_jobs(
    *, sessions: sessionmaker[Session], settings: Settings, now: datetime, limit: int
) -> list[Job]:
    """Lease up to `limit` due deliveries (the SQLite path; see `deliver_due`)."""
    with transaction(sessions) as session:
        rows = delivery_store.claim_due_deliveries(
            session=session,
            now=now,
            lease_until=now + timedelta(seconds=settings.delivery_lease_seconds),
            limit=limit,
            skip_locked=not settings.is_sqlite,
        )
        return [_job(session, row) for row in rows]


def attempt(*, job: Job, client: httpx.Client, settings: Settings, now: datetime) -> AttemptOutcome:
    """Send one job; a target that has become unsafe (DNS changed) is not contacted."""
    try:
        check_webhook_url(
            job.url,
            allow_insecure_loopback=settings.allow_insecure_webhooks,
            allow_private=settings.allow_private_webhooks,
        )
    except UnsafeWebhookUrl as refused:
        # A passing DNS outage is retried like any failure; an unsafe address is never contacted.
        error = "dns-error" if isinstance(refused, UnresolvableWebhookHost) else "unsafe-target"
        return AttemptOutcome(
            kind="failed",
            status_code=None,
            duration_ms=0.0,
            response_excerpt="",
            error_class=error,
            retry_after=None,
        )
    headers = signed_headers(
        secret=job.secret, message_id=str(job.message_id), body=job.body, at=now
    )
    headers["overgang-sequence"] = str(job.sequence)
    headers["overgang-kind"] = job.kind
    return send(client=client, url=job.url, body=job.body, headers=headers)


def record_outcome(
    *,
    session: Session,
    delivery_id: uuid.UUID,
    outcome: AttemptOutcome,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> Delivery:
    """Keep the attempt, then deliver, retry, dead-letter, or disable the endpoint."""
    # FOR NO KEY UPDATE: new deliveries referencing the endpoint (their foreign-key check takes
    # KEY SHARE) are not held up while an outcome is recorded.
    delivery = session.get_one(Delivery, delivery_id, with_for_update={"key_share": True})
    endpoint = session.get_one(
        WebhookEndpoint, delivery.endpoint_id, with_for_update={"key_share": True}
    )
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            attempted_at=now,
            outcome=outcome.kind,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.response_excerpt[:500] or None,
            error_class=outcome.error_class,
        )
    )
    delivery.attempts += 1
    delivery.leased_until = None
    DELIVERY_ATTEMPTS.labels(outcome=outcome.kind).inc()
    if delivery.state != "pending":
        return delivery  # replayed, cancelled or delivered meanwhile: the attempt is history only
    if outcome.kind == "delivered":
        _delivered(session, delivery, endpoint, now)
    elif outcome.kind == "gone":
        _endpoint_gone(session, endpoint, now)
    else:
        _failed(delivery, endpoint=endpoint, outcome=outcome, settings=settings, now=now, rng=rng)
    return delivery


def _delivered(
    session: Session, delivery: Delivery, endpoint: WebhookEndpoint, now: datetime
) -> None:
    delivery.state = "delivered"
    delivery.delivered_at = now
    DELIVERIES_FINISHED.labels(outcome="delivered").inc()
    delivery.last_error = None
    session.execute(
        update(InboxMessage)
        .where(InboxMessage.id == delivery.inbox_message_id, InboxMessage.status == "pending")
        .values(status="delivered", delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    endpoint.consecutive_failures = 0
    if endpoint.health == "failing":
        _change_health(endpoint, "healthy", now)


def _endpoint_gone(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    # 410 Gone: the receiver says the endpoint no longer exists; stop, the inbox still works.
    endpoint.active = False
    endpoint.disabled_reason = "the endpoint answered 410 Gone"
    _change_health(endpoint, "disabled", now)
    delivery_store.cancel_pending_for_endpoint(session=session, endpoint_id=endpoint.id)


def _failed(
    delivery: Delivery,
    *,
    endpoint: WebhookEndpoint,
    outcome: AttemptOutcome,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> None:
    delivery.last_error = (
        f"HTTP {outcome.status_code}" if outcome.status_code else outcome.error_class or "failed"
    )
    endpoint.consecutive_failures += 1
    if (
        endpoint.health == "healthy"
        and endpoint.consecutive_failures >= settings.endpoint_failing_after
    ):
        _change_health(endpoint, "failing", now)
    delay = next_delay(
        schedule=parse_schedule(settings.webhook_retry_schedule)
        if settings.webhook_retry_schedule
        else DEFAULT_SCHEDULE,
        attempt_number=delivery.attempts,
        retry_after=parse_retry_after(outcome.retry_after, now=now),
        rng=rng,
    )
    if delay is None:
        delivery.state = "dead"
        DELIVERIES_FINISHED.labels(outcome="dead").inc()
        log.warning(
            "delivery dead-lettered",
            extra={"delivery_id": str(delivery.id), "endpoint_id": str(endpoint.id)},
        )
    else:
        delivery.next_attempt_at = now + timedelta(seconds=delay)


def _change_health(endpoint: WebhookEndpoint, health: str, now: datetime) -> None:
    """Alerts are raised once per change of state, not once per message."""
    log.warning(
        "webhook endpoint health changed",
        extra={"endpoint_id": str(endpoint.id), "from": endpoint.health, "to": health},
    )
    endpoint.health = health
    endpoint.health_changed_at = now


def deliver_due(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    client: httpx.Client,
    pool: ThreadPoolExecutor,
    clock: Callable[[], datetime],
    rng: random.Random,
) -> int:
    """One round of sending; returns how many deliveries were attempted.

    PostgreSQL: each of `worker_concurrency` threads takes one due delivery at a time with
    FOR UPDATE SKIP LOCKED and keeps that row lock until the outcome is recorded in the same
    transaction. No other worker can take a delivery while it is in flight, however long the
    receiver takes; if the process or the database dies mid-send, the lock goes with it and the
    delivery is simply due again (the receiver de-duplicates by webhook-id).

    SQLite has no row locks and one writer at a time: there a batch of at most
    `worker_concurrency` deliveries is leased (`delivery_lease_seconds`, well above the longest
    send), sent side by side, and each outcome recorded in a transaction of its own.
    """
    if settings.is_sqlite:
        jobs = claim_jobs(
            sessions=sessions, settings=settings, now=clock(), limit=settings.worker_concurrency
        )

        def run(job: Job) -> None:
            outcome = attempt(job=job, client=client, settings=settings, now=clock())
            with transaction(sessions) as session:
                record_outcome(
                    session=session,
                    delivery_id=job.delivery_id,
                    outcome=outcome,
                    settings=settings,
                    now=clock(),
                    rng=rng,
                )

        list(pool.map(run, jobs))
        return len(jobs)

    with transaction(sessions) as session:
        if not delivery_store.any_due(session=session, now=clock()):
            return 0
    per_thread = max(1, settings.worker_batch_size // settings.worker_concurrency)

    def send_while_due(_: int) -> int:
        sent = 0
        while sent < per_thread and _send_one_locked(
            sessions=sessions, settings=settings, client=client, clock=clock, rng=rng
        ):
            sent += 1
        return sent

    return sum(pool.map(send_while_due, range(settings.worker_concurrency)))


def _send_one_locked(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    client: httpx.Client,
    clock: Callable[[], datetime],
    rng: random.Random,
) -> bool:
    """Take one due delivery under a row lock, send it and record it; False when none is due."""
    with transaction(sessions) as session:
        now = clock()
        rows = delivery_store.claim_due_deliveries(
            session=session,
            now=now,
            lease_until=now + timedelta(seconds=settings.delivery_lease_seconds),
            limit=1,
            skip_locked=True,
        )
        if not rows:
            return False
        outcome = attempt(job=_job(session, rows[0]), client=client, settings=settings, now=clock())
        record_outcome(
            session=session,
            delivery_id=rows[0].id,
            outcome=outcome,
            settings=settings,
            now=clock(),
            rng=rng,
        )
        return True


def flag_unacknowledged(*, session: Session, settings: Settings, now: datetime) -> int:
    """Delivered messages nobody acknowledged in time: flagged once, shown to the ward."""
    cutoff = now - timedelta(seconds=settings.unacknowledged_after_seconds)
    overdue = list(
        session.scalars(
            select(InboxMessage).where(
                InboxMessage.status == "delivered",
                InboxMessage.delivered_at < cutoff,
                InboxMessage.follow_up_flagged_at.is_(None),
            )
        )
    )
    for message in overdue:
        message.follow_up_flagged_at = now
        log.warning(
            "delivered message not acknowledged", extra={"inbox_message_id": str(message.id)}
        )
    return len(overdue)
