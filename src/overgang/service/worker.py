"""The webhook sender's loop: in `overgang serve` as a thread, or alone as `overgang worker`."""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.delivery.sender import make_client
from overgang.service.push import deliver_due, flag_unacknowledged
from overgang.storage.db import transaction

log = logging.getLogger("overgang.worker")
SWEEP_EVERY_SECONDS = 30.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    """Sends due deliveries until stopped; `wake()` lets a fresh commit skip the poll wait."""

    def __init__(self, *, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="overgang-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        settings = self.settings
        rng = random.Random()  # noqa: S311 - jitter, not security
        last_sweep = 0.0
        with (
            make_client(
                connect_timeout=settings.webhook_connect_timeout,
                read_timeout=settings.webhook_read_timeout,
            ) as client,
            ThreadPoolExecutor(max_workers=settings.worker_concurrency) as pool,
        ):
            while not self._stop.is_set():
                sent = 0
                try:
                    sent = deliver_due(
                        sessions=self.sessions,
                        settings=settings,
                        client=client,
                        pool=pool,
                        clock=utc_now,
                        rng=rng,
                    )
                    if time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:
                        with transaction(self.sessions) as session:
                            flag_unacknowledged(session=session, settings=settings, now=utc_now())
                        last_sweep = time.monotonic()
                except SQLAlchemyError as error:
                    # The database may be restarting: wait and try again, nothing is lost.
                    log.warning("delivery round failed", extra={"error_type": type(error).__name__})
                    self._stop.wait(1.0)
                if not sent:
                    self._wake.wait(settings.worker_poll_seconds)
                    self._wake.clear()
                elif sent < settings.worker_batch_size:
                    # Caught up: let a few more messages come so that the next round sends
                    # them together (one claim and one commit for all) instead of one by one.
                    self._stop.wait(settings.worker_linger_seconds)
