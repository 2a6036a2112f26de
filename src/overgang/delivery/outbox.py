"""The outbox: pushing inbox messages to municipalities' webhooks, one round of sending at a
time, and recording what happened.

Deliveries are written in the same transaction as the inbox message (nothing is sent before
commit, nothing committed is lost). A sender works in rounds: it claims a batch of due rows
(row locks on PostgreSQL, a lease on SQLite), sends them, and records every outcome together
(`deliver_due`). A crash in between leaves a lock that dies with the connection or a lease that
expires, and the message is sent again with the same webhook-id for the receiver to
de-duplicate.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.backoff import (
    DEFAULT_SCHEDULE,
    next_delay,
    parse_retry_after,
    parse_schedule,
)
from overgang.delivery.secret_keys import SecretKeyError, SecretKeys, open_stored
from overgang.delivery.sender import AttemptOutcome, send
from overgang.delivery.signing import signed_headers
from overgang.delivery.states import DeliveryState, EndpointHealth
from overgang.delivery.targets import (
    UnresolvableWebhookHost,
    UnsafeWebhookUrl,
    check_webhook_url,
)
from overgang.metrics import DELIVERIES_FINISHED, DELIVERY_ATTEMPTS
from overgang.storage import deliveries as delivery_store
from overgang.storage.db import transaction
from overgang.storage.deliveries import DueDelivery
from overgang.storage.models import Delivery, DeliveryAttempt, InboxMessage, WebhookEndpoint
from overgang.storage.rows import insert_new

log = logging.getLogger("overgang.delivery")


def delivery_rows(
    *, inbox_message: InboxMessage, endpoint_ids: Sequence[uuid.UUID], now: datetime
) -> list[Delivery]:
    """One outbox row per active endpoint of the addressed municipality (`endpoint_ids`)."""
    return [
        Delivery(
            inbox_message_id=inbox_message.id,
            endpoint_id=endpoint_id,
            municipality_organisation_id=inbox_message.municipality_organisation_id,
            episode_id=inbox_message.episode_id,
            sequence=inbox_message.sequence,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint_id in endpoint_ids
    ]


@dataclass(frozen=True)
class Sent:
    """One job sent: what happened, and when it was over."""

    job: DueDelivery
    outcome: AttemptOutcome
    at: datetime


def claim_jobs(
    *, sessions: sessionmaker[Session], settings: Settings, now: datetime, limit: int
) -> list[DueDelivery]:
    """Lease up to `limit` due deliveries in a transaction of their own: SQLite's claim, and on
    PostgreSQL a claim that outlives its transaction (row locks are skipped as usual)."""
    with transaction(sessions) as session:
        return delivery_store.claim_due_deliveries(
            session=session,
            now=now,
            lease_until=now + timedelta(seconds=settings.delivery_lease_seconds),
            limit=limit,
            skip_locked=not settings.is_sqlite,
        )


def attempt(
    *, job: DueDelivery, client: httpx.Client, settings: Settings, now: datetime
) -> AttemptOutcome:
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
    try:
        # Opened here, at the last moment, and never logged.
        secrets = signing_secrets(job, keys=settings.keys_for_secrets, now=now)
    except SecretKeyError as error:
        log.error(
            "webhook secret cannot be opened",
            extra={"endpoint_id": str(job.endpoint_id), "error": str(error)},
        )
        return AttemptOutcome(
            kind="failed",
            status_code=None,
            duration_ms=0.0,
            response_excerpt="",
            error_class="secret-key-error",
            retry_after=None,
        )
    headers = signed_headers(secrets=secrets, message_id=str(job.message_id), body=job.body, at=now)
    headers["overgang-sequence"] = str(job.sequence)
    headers["overgang-kind"] = job.kind
    return send(client=client, url=job.url, body=job.body, headers=headers)


def signing_secrets(job: DueDelivery, *, keys: SecretKeys | None, now: datetime) -> list[str]:
    """The endpoint's current secret, then the one it replaced while the overlap lasts."""
    found = [
        open_stored(
            keys, key_id=job.secret_key_id, data=job.sealed_secret, endpoint_id=job.endpoint_id
        )
    ]
    if (
        job.previous_sealed_secret is not None
        and job.previous_secret_until is not None
        and now < job.previous_secret_until
    ):
        found.append(
            open_stored(
                keys,
                key_id=job.previous_secret_key_id,
                data=job.previous_sealed_secret,
                endpoint_id=job.endpoint_id,
            )
        )
    return found


def record_outcomes(
    *,
    session: Session,
    sent: list[Sent],
    settings: Settings,
    rng: random.Random,
) -> None:
    """Keep each attempt, then deliver, retry, dead-letter, or disable the endpoint.

    A few statements for the whole batch: the deliveries and their endpoints are read (and, on
    PostgreSQL, locked) in one query each, the attempts inserted together, and the inbox
    messages marked delivered in one UPDATE.
    """
    if not sent:
        return
    deliveries = delivery_store.lock_deliveries(
        session=session, ids=sorted(item.job.delivery_id for item in sent)
    )
    endpoints = delivery_store.lock_endpoints(
        session=session, ids=(delivery.endpoint_id for delivery in deliveries.values())
    )
    delivered: list[uuid.UUID] = []
    attempts: list[DeliveryAttempt] = []
    for item in sent:
        delivery = deliveries[item.job.delivery_id]
        outcome, now = item.outcome, item.at
        attempts.append(
            DeliveryAttempt(
                id=uuid.uuid4(),
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
        if delivery.state != DeliveryState.PENDING:
            continue  # replayed, cancelled or delivered meanwhile: the attempt is history only
        endpoint = endpoints[delivery.endpoint_id]
        if outcome.kind == "delivered":
            _delivered(delivery, endpoint, now)
            delivered.append(delivery.inbox_message_id)
        elif outcome.kind == "gone" and endpoint.active:  # not already gone in this batch
            # 410 Gone: the receiver says the endpoint no longer exists; the inbox still works.
            disable_endpoint(
                session=session, endpoint=endpoint, reason="the endpoint answered 410 Gone", now=now
            )
        else:
            _failed(
                delivery, endpoint=endpoint, outcome=outcome, settings=settings, now=now, rng=rng
            )
    insert_new(session, *attempts)
    delivery_store.mark_inbox_delivered(
        session=session, ids=delivered, now=max(item.at for item in sent)
    )


def _delivered(delivery: Delivery, endpoint: WebhookEndpoint, now: datetime) -> None:
    delivery.state = DeliveryState.DELIVERED
    delivery.delivered_at = now
    DELIVERIES_FINISHED.labels(outcome="delivered").inc()
    delivery.last_error = None
    endpoint.consecutive_failures = 0
    if endpoint.health == EndpointHealth.FAILING:
        _change_health(endpoint, EndpointHealth.HEALTHY, now)


def disable_endpoint(
    *, session: Session, endpoint: WebhookEndpoint, reason: str, now: datetime
) -> None:
    """Stop pushing to an endpoint and cancel what it has pending; the one way an endpoint is
    disabled, whether its receiver answered 410 Gone or its municipality deactivated it. What
    it did not get stays in the inbox for pulling, and can be replayed elsewhere."""
    endpoint.active = False
    endpoint.disabled_reason = reason
    _change_health(endpoint, EndpointHealth.DISABLED, now)
    session.flush()  # this session's own changes first, then the rest of the endpoint's queue
    delivery_store.cancel_pending_for_endpoint(session=session, endpoint_id=endpoint.id)
    for delivery in session.identity_map.values():
        if isinstance(delivery, Delivery) and delivery.endpoint_id == endpoint.id:
            session.expire(delivery, ["state", "leased_until"])


def reactivate_endpoint(*, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Push to a disabled endpoint again, healthy and with a clean failure count; the one way
    an endpoint is reactivated. New messages go to it from now on; what it missed meanwhile
    is in the inbox, and its cancelled or dead deliveries can be replayed."""
    if endpoint.active:
        return
    endpoint.active = True
    endpoint.disabled_reason = None
    endpoint.consecutive_failures = 0
    _change_health(endpoint, EndpointHealth.HEALTHY, now)


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
        endpoint.health == EndpointHealth.HEALTHY
        and endpoint.consecutive_failures >= settings.endpoint_failing_after
    ):
        _change_health(endpoint, EndpointHealth.FAILING, now)
    delay = next_delay(
        schedule=parse_schedule(settings.webhook_retry_schedule)
        if settings.webhook_retry_schedule
        else DEFAULT_SCHEDULE,
        attempt_number=delivery.attempts,
        retry_after=parse_retry_after(outcome.retry_after, now=now),
        rng=rng,
    )
    if delay is None:
        delivery.state = DeliveryState.DEAD
        DELIVERIES_FINISHED.labels(outcome="dead").inc()
        log.warning(
            "delivery dead-lettered",
            extra={"delivery_id": str(delivery.id), "endpoint_id": str(endpoint.id)},
        )
    else:
        delivery.next_attempt_at = now + timedelta(seconds=delay)


def _change_health(endpoint: WebhookEndpoint, health: EndpointHealth, now: datetime) -> None:
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
    """One round of sending: claim up to `worker_batch_size` due deliveries, send them side by
    side on `pool`, record every outcome in one transaction; returns how many were attempted.

    PostgreSQL: the round is one transaction. Its claim locks the rows with FOR UPDATE SKIP
    LOCKED, and the locks last until the outcomes are committed: no other worker can take a
    delivery while it is in flight, however long the receiver takes; if the process or the
    database dies mid-send, the locks go with it and the deliveries are simply due again (the
    receiver de-duplicates by webhook-id).

    SQLite has no row locks and one writer at a time, which must not wait for a receiver: there
    the batch is leased (`delivery_lease_seconds`, well above the longest send) and committed
    before sending, and the outcomes are recorded in a second transaction.
    """
    limit = settings.worker_batch_size
    if settings.is_sqlite:
        jobs = claim_jobs(sessions=sessions, settings=settings, now=clock(), limit=limit)
        sent = _send_all(jobs, client=client, pool=pool, settings=settings, clock=clock)
        if sent:
            with transaction(sessions) as session:
                record_outcomes(session=session, sent=sent, settings=settings, rng=rng)
        return len(sent)
    with transaction(sessions) as session:
        jobs = delivery_store.claim_due_deliveries(
            session=session, now=clock(), lease_until=None, limit=limit, skip_locked=True
        )
        sent = _send_all(jobs, client=client, pool=pool, settings=settings, clock=clock)
        record_outcomes(session=session, sent=sent, settings=settings, rng=rng)
        return len(sent)


def _send_all(
    jobs: list[DueDelivery],
    *,
    client: httpx.Client,
    pool: ThreadPoolExecutor,
    settings: Settings,
    clock: Callable[[], datetime],
) -> list[Sent]:
    def run(job: DueDelivery) -> Sent:
        outcome = attempt(job=job, client=client, settings=settings, now=clock())
        return Sent(job=job, outcome=outcome, at=clock())

    if len(jobs) == 1:
        return [run(jobs[0])]  # no hop to the pool for a lone message
    return list(pool.map(run, jobs))


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
