"""The in-process sender outlives whatever goes wrong in a round, and readiness says when it
has stopped: a sender that died quietly would leave every message waiting in the outbox."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from overgang.api.app import create_app
from overgang.config import Settings
from overgang.metrics import REGISTRY
from overgang.service.worker import DeliveryWorker
from overgang.storage.db import create_db_engine, session_factory
from tests.api.test_webhooks import register
from tests.conftest import Api
from tests.messages import TEST_CPR, example
from tests.receiver import loopback_receiver


class ClockStopped(Exception):
    """Stands in for any error in a round that is not the database's."""


def clock_failing_once_per_lane() -> Callable[[], datetime]:
    """A clock that raises the first time each lane asks it, before the lane claims anything."""
    failed: set[str] = set()

    def now() -> datetime:
        lane = threading.current_thread().name
        if lane.startswith("overgang-delivery-") and lane not in failed:
            failed.add(lane)
            # A message as an error might carry one: it must not reach the log.
            raise ClockStopped(f"clock stopped while sending for {TEST_CPR}")
        return datetime.now(UTC)

    return now


def round_errors() -> float:
    value = REGISTRY.get_sample_value(
        "overgang_delivery_round_errors_total", {"error_type": "ClockStopped"}
    )
    return value or 0.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout} s")
        time.sleep(0.02)


def test_a_round_that_raises_is_counted_and_logged_and_the_lanes_go_on_delivering(
    api: Api, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_db_engine(settings.database_url)
    worker = DeliveryWorker(
        sessions=session_factory(engine),
        settings=settings.model_copy(update={"worker_lanes": 2, "worker_poll_seconds": 0.05}),
        clock=clock_failing_once_per_lane(),
    )
    errors_before = round_errors()
    caplog.set_level(logging.WARNING, logger="overgang.worker")
    with loopback_receiver() as receiver:
        register(api, receiver.url)
        api.send(example("01-admission-STIN.json"))
        worker.start()
        try:
            wait_until(lambda: round_errors() - errors_before == 2, "failed round in each lane")
            receiver.wait_for(1, timeout=60)  # after a pause of a second, the next round sends
            running = worker.is_running()
        finally:
            worker.stop()
            engine.dispose()

    failures = [
        r for r in caplog.records if r.getMessage() == "delivery round failed; trying again"
    ]
    assert running
    assert api.inbox().json()["items"][0]["status"] == "delivered"
    assert sorted(r.__dict__["lane"] for r in failures) == [0, 1]
    assert {r.__dict__["error_type"] for r in failures} == {"ClockStopped"}
    assert TEST_CPR not in caplog.text


def test_readiness_reports_a_stopped_sender(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"run_worker": True}))) as client:
        sending = client.get("/readyz")
        client.app.state.worker.stop()
        stopped = client.get("/readyz")

    assert (sending.status_code, sending.json()["sender"]) == (200, "ok")
    assert stopped.status_code == 503
    assert stopped.json() == {"status": "unavailable", "database": "ok", "sender": "stopped"}


def test_readiness_says_when_the_process_runs_no_sender(api: Api) -> None:
    ready = api.client.get("/readyz")

    assert (ready.status_code, ready.json()["sender"]) == (200, "not run")
