"""Prometheus metrics. Labels name kinds, outcomes and municipality codes: never a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from overgang.delivery.states import DeliveryState
from overgang.storage.db import transaction
from overgang.storage.models import Delivery, Organisation

REGISTRY = CollectorRegistry()
MESSAGES_RECEIVED = Counter(
    "overgang_messages_received",
    "Hospital messages received, by kind and outcome (accepted, duplicate, refused).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
MESSAGES_SHED = Counter(
    "overgang_messages_shed",
    "Messages answered 503 at once because too many were in progress (OVERGANG_MAX_MESSAGES_IN_PROGRESS).",
    registry=REGISTRY,
)
DELIVERY_ATTEMPTS = Counter(
    "overgang_delivery_attempts",
    "Webhook attempts, by outcome (delivered, failed, gone).",
    ["outcome"],
    registry=REGISTRY,
)
DELIVERIES_FINISHED = Counter(
    "overgang_deliveries",
    "Deliveries that reached a final state (delivered, dead, cancelled).",
    ["outcome"],
    registry=REGISTRY,
)
DELIVERY_ROUND_ERRORS = Counter(
    "overgang_delivery_round_errors",
    "Sender rounds that failed and were tried again, by the error's type (a class name).",
    ["error_type"],
    registry=REGISTRY,
)
RETENTION_ACTIONS = Counter(
    "overgang_retention",
    "What retention runs did, by kind (undelivered-reported, payloads deleted, episodes "
    "pseudonymised, audit rows deleted).",
    ["kind"],
    registry=REGISTRY,
)


class OutboxCollector(Collector):
    """Per municipality: the outbox depth and the age of its oldest undelivered message, and
    the dead letters' count and the age of the oldest. Read from the database at scrape time,
    so every replica reports the shared outbox the same way; every registered municipality is
    reported, with 0 when it has nothing waiting, so a series never vanishes under an alert."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauges = {
            (DeliveryState.PENDING, "count"): GaugeMetricFamily(
                "overgang_outbox_pending",
                "Deliveries waiting to be pushed, by municipality.",
                labels=["municipality"],
            ),
            (DeliveryState.PENDING, "age"): GaugeMetricFamily(
                "overgang_outbox_oldest_pending_seconds",
                "Age of the oldest undelivered message, by municipality (0: none).",
                labels=["municipality"],
            ),
            (DeliveryState.DEAD, "count"): GaugeMetricFamily(
                "overgang_outbox_dead",
                "Dead letters (retries ran out; replayable), by municipality.",
                labels=["municipality"],
            ),
            (DeliveryState.DEAD, "age"): GaugeMetricFamily(
                "overgang_outbox_oldest_dead_seconds",
                "Age of the message of the oldest dead letter, by municipality (0: none).",
                labels=["municipality"],
            ),
        }
        now = datetime.now(UTC)
        with transaction(self.sessions) as session:
            codes = session.scalars(
                select(Organisation.municipality_code)
                .where(Organisation.kind == "municipality")
                .order_by(Organisation.municipality_code)
            ).all()
            rows = session.execute(
                select(
                    Organisation.municipality_code,
                    Delivery.state,
                    func.count(Delivery.id),
                    func.min(Delivery.created_at),
                )
                .join(Organisation, Organisation.id == Delivery.municipality_organisation_id)
                .where(Delivery.state.in_((DeliveryState.PENDING, DeliveryState.DEAD)))
                .group_by(Organisation.municipality_code, Delivery.state)
            ).all()
        found = {(code, state): (count, first) for code, state, count, first in rows}
        for code in codes:
            for state in (DeliveryState.PENDING, DeliveryState.DEAD):
                count, first = found.get((code, state), (0, None))
                age = 0.0
                if first is not None:
                    first_at = first if first.tzinfo else first.replace(tzinfo=UTC)
                    age = max((now - first_at).total_seconds(), 0.0)
                gauges[state, "count"].add_metric([code or "-"], count)
                gauges[state, "age"].add_metric([code or "-"], age)
        yield from gauges.values()


def render(sessions: sessionmaker[Session]) -> bytes:
    """The exposition text: this process's counters and the shared outbox gauges."""
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(sessions))
    return generate_latest(REGISTRY) + generate_latest(outbox)
