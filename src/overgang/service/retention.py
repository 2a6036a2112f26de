"""The retention run: report undelivered messages, empty payloads and pseudonymise episodes
when `domain.retention` says they are due. One transaction; a dry run writes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.domain.retention import (
    CLOSED_STATES,
    RetentionKind,
    RetentionPolicy,
    citizen_key,
)
from overgang.metrics import RETENTION_ACTIONS
from overgang.storage import retention as store
from overgang.storage.db import transaction

log = logging.getLogger("overgang.retention")


@dataclass(frozen=True)
class RetentionReport:
    """How many of each kind a run did (or, dry, would do): never who."""

    dry_run: bool
    counts: dict[RetentionKind, int] = field(default_factory=dict)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def policy_from(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        delivered_payload_days=settings.retention_delivered_days,
        undelivered_report_days=settings.retention_undelivered_report_days,
        undelivered_payload_days=settings.retention_undelivered_days,
        closed_episode_days=settings.retention_episode_days,
        audit_days=settings.retention_audit_days,
    )


def run_retention(
    *, sessions: sessionmaker[Session], settings: Settings, now: datetime, dry_run: bool = False
) -> RetentionReport:
    """Do (or with `dry_run` only count) everything retention has due at `now`."""
    counts: dict[RetentionKind, int] = {}
    try:
        with transaction(sessions) as session:
            counts = _apply(session=session, settings=settings, now=now)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if not dry_run:
        for kind, count in counts.items():
            if count and kind is not RetentionKind.EPISODES_WAITING_FOR_KEY:
                RETENTION_ACTIONS.labels(kind=kind.value).inc(count)
        log.info("retention run", extra={"counts": {k.value: v for k, v in counts.items()}})
    return RetentionReport(dry_run=dry_run, counts=counts)


def _apply(*, session: Session, settings: Settings, now: datetime) -> dict[RetentionKind, int]:
    # A dry run does the same work in a transaction that is rolled back, so its counts are
    # exactly what a real run would do (a later step sees what an earlier one changed).
    cut = policy_from(settings).cutoffs(now)
    counts: dict[RetentionKind, int] = {}

    unreported = store.unreported_undelivered(
        session=session, created_before=cut.report_created_before
    )
    store.mark_undelivered_reported(session=session, ids=unreported, now=now)
    for message_id in unreported:
        # Shown to the ward on the episode (undelivered_reported_at); the id only, never content.
        log.warning("message not acknowledged in time", extra={"inbox_message_id": str(message_id)})
    counts[RetentionKind.UNDELIVERED_REPORTED] = len(unreported)

    key = settings.citizen_key
    due = store.closed_episodes_due(
        session=session, states=sorted(CLOSED_STATES), unchanged_since=cut.episode_closed_before
    )
    if key is None:
        counts[RetentionKind.EPISODES_PSEUDONYMISED] = 0
        counts[RetentionKind.EPISODES_WAITING_FOR_KEY] = len(due)
        if due:
            log.warning("closed episodes wait for OVERGANG_CITIZEN_KEY", extra={"count": len(due)})
    else:
        secret = key.get_secret_value().encode()
        for episode_id, cpr in due:
            store.pseudonymise_episode(
                session=session,
                episode_id=episode_id,
                citizen_key=citizen_key(cpr, key=secret),
                now=now,
            )
        counts[RetentionKind.EPISODES_PSEUDONYMISED] = len(due)
        counts[RetentionKind.EPISODES_WAITING_FOR_KEY] = 0

    delivered = store.inbox_payloads_acknowledged_before(
        session=session, acknowledged_before=cut.acknowledged_before
    )
    store.empty_inbox_payloads(session=session, ids=delivered, now=now)
    counts[RetentionKind.DELIVERED_PAYLOADS] = len(delivered)

    undelivered = store.inbox_payloads_unacknowledged_before(
        session=session, created_before=cut.undelivered_created_before
    )
    store.empty_inbox_payloads(session=session, ids=undelivered, now=now)
    counts[RetentionKind.UNDELIVERED_PAYLOADS] = len(undelivered)

    received = store.received_payloads_due(session=session, received_before=cut.received_before)
    store.empty_received_payloads(session=session, ids=received, now=now)
    counts[RetentionKind.RECEIVED_PAYLOADS] = len(received)

    counts[RetentionKind.AUDIT_ROWS] = store.count_audit_before(
        session=session, before=cut.audit_before
    )
    store.delete_audit_before(session=session, before=cut.audit_before)
    session.flush()
    return counts
