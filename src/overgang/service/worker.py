"""The webhook sender's loop: in `overgang serve` as a thread, or alone as `overgang worker`."""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.outbox import deliver_due, flag_unacknowledged
from overgang.delivery.sender import make_client
from overgang.metrics import DELIVERY_ROUND_ERRORS
from overgang.service.retention import run_retention
from overgang.storage.db import transaction

log = logging.getLogger("overgang.worker")
SWEEP_EVERY_SECONDS = 30.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    """Sends due deliveries until stopped; `wake()` lets a fresh commit skip the poll wait.

    The rounds run in `worker_lanes` threads side by side, each claiming its own deliveries: a
    receiver that keeps a round waiting until its read timeout holds up one lane, while the
    others go on sending everybody else's messages.
    """

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self._stop = threading.Event()
        self._wakes = [threading.Event() for _ in range(settings.worker_lanes)]
        self._threads: list[threading.Thread] = []

    def wake(self) -> None:
        for wake in self._wakes:
            wake.set()

    def start(self) -> None:
        self._threads = [
            threading.Thread(
                target=self._run_lane, args=(lane,), name=f"overgang-delivery-{lane}", daemon=True
            )
            for lane in range(len(self._wakes))
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def is_running(self) -> bool:
        """Every lane is sending (or waiting for work); False before start, after stop, or if a
        lane thread has ended anyway."""
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    def _run_lane(self, lane: int) -> None:
        settings = self.settings
        wake = self._wakes[lane]
        rng = random.Random()  # noqa: S311 - jitter, not security
        last_sweep = 0.0
        last_retention = -math.inf  # the first sweep runs retention too
        failures = 0
        with (
            make_client(
                connect_timeout=settings.webhook_connect_timeout,
                read_timeout=settings.webhook_read_timeout,
            ) as client,
            ThreadPoolExecutor(
                max_workers=max(1, settings.worker_concurrency // len(self._wakes))
            ) as pool,
        ):
            while not self._stop.is_set():
                try:
                    sent = deliver_due(
                        sessions=self.sessions,
                        settings=settings,
                        client=client,
                        pool=pool,
                        clock=self.clock,
                        rng=rng,
                    )
                    if lane == 0 and time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:
                        with transaction(self.sessions) as session:
                            flag_unacknowledged(
                                session=session, settings=settings, now=self.clock()
                            )
                        last_sweep = time.monotonic()
                        if last_sweep - last_retention > settings.retention_every_hours * 3600:
                            run_retention(
                                sessions=self.sessions, settings=settings, now=self.clock()
                            )
                            last_retention = last_sweep
                except Exception as error:
                    # A database restarting, a bug in a round: nothing is lost (a claim runs out
                    # and its deliveries are due again), so wait and go on. The type only: an
                    # error's text can quote SQL parameters, that is personal data.
                    failures += 1
                    DELIVERY_ROUND_ERRORS.labels(error_type=type(error).__name__).inc()
                    log.warning(
                        "delivery round failed; trying again",
                        extra={"lane": lane, "error_type": type(error).__name__},
                    )
                    self._stop.wait(pause_after_errors(failures))
                    continue
                failures = 0
                if not sent:
                    wake.wait(settings.worker_poll_seconds)
                    wake.clear()
                elif sent < settings.worker_batch_size:
                    # Caught up: let a few more messages come so that the next round sends
                    # them together (one claim and one commit for all) instead of one by one.
                    self._stop.wait(settings.worker_linger_seconds)


def pause_after_errors(failures: int) -> float:
    """Seconds to wait after `failures` failed rounds in a row: 1, 2, 4 ... up to 30.

    A database that restarts is back within seconds; a lasting fault is not retried, and
    logged, in a tight loop.
    """
    return min(2.0 ** (failures - 1), 30.0)
