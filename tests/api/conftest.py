"""Running the webhook sender by hand in API tests: rounds on demand, a clock the test moves."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from overgang.config import Settings
from overgang.delivery.outbox import deliver_due
from overgang.delivery.sender import make_client
from overgang.storage.db import create_db_engine, session_factory, transaction
from overgang.storage.models import Delivery, DeliveryAttempt
from tests.conftest import Api


class Pusher:
    """Runs the sender's rounds by hand, with a clock the test can move forward."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_db_engine(settings.database_url)
        self.sessions = session_factory(self.engine)
        self.offset = timedelta(0)
        self.client = make_client(connect_timeout=2, read_timeout=2)
        self.pool = ThreadPoolExecutor(max_workers=4)

    def round(self) -> int:
        return deliver_due(
            sessions=self.sessions,
            settings=self.settings,
            client=self.client,
            pool=self.pool,
            clock=lambda: self.now,
            rng=random.Random(1),
        )

    @property
    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def later(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def deliveries(self) -> list[Delivery]:
        with transaction(self.sessions) as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.sequence)))

    def attempts(self) -> list[DeliveryAttempt]:
        with transaction(self.sessions) as session:
            return list(
                session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.attempted_at))
            )

    def close(self) -> None:
        self.client.close()
        self.pool.shutdown()
        self.engine.dispose()


@pytest.fixture
def pusher(settings: Settings) -> Iterator[Pusher]:
    quick = settings.model_copy(
        update={"webhook_retry_schedule": "10,20", "endpoint_failing_after": 2}
    )
    sender = Pusher(quick)
    yield sender
    sender.close()


def register(api: Api, url: str) -> dict[str, Any]:
    response = api.client.post(
        "/api/v1/webhooks", json={"url": url}, headers=api.auth(api.tokens.aalborg)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
