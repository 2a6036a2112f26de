"""Two workers on one PostgreSQL database: leases and SKIP LOCKED must keep them from ever
pushing the same message at the same time, or twice when nothing fails."""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from overgang.config import Settings
from overgang.delivery.outbox import claim_jobs, deliver_due
from overgang.delivery.sender import make_client
from overgang.service.worker import utc_now
from overgang.storage.db import create_db_engine, session_factory
from tests.conftest import TEST_SECRET_KEYS
from tests.faults.checks import assert_each_message_taken_once, half_done, wait_until_delivered
from tests.faults.conftest import LEASE, MAX_ATTEMPTS, deploy
from tests.faults.faulty_receiver import Answer, faulty_receiver
from tests.faults.hospital import admissions, inbox, stream
from tests.faults.processes import START_TIMEOUT, OvergangProcess, Processes, connection_owner

pytestmark = pytest.mark.postgres
MESSAGES = 300
BATCH = 10


def slightly_slow(_number: int, _webhook_id: str) -> Answer:
    # A few milliseconds per request widen the window in which a double send would overlap.
    return Answer(delay=0.01)


def start_workers(
    processes: Processes, env: dict[str, str], *, count: int
) -> list[OvergangProcess]:
    """Start `count` workers and wait until each has polled the database once."""
    # Patient sends: when nothing fails, no read timeout under a loaded CI machine either.
    env = {**env, "OVERGANG_WEBHOOK_READ_TIMEOUT": "10"}
    workers = [processes.worker({**env, "PGAPPNAME": f"overgang-worker-{n}"}) for n in range(count)]
    engine = create_db_engine(env["OVERGANG_DATABASE_URL"])
    polled = text(
        "SELECT count(DISTINCT application_name) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE 'overgang-worker-%'"
    )
    deadline = time.monotonic() + START_TIMEOUT
    with engine.connect() as connection:
        while connection.execute(polled).scalar_one() < count:
            for worker in workers:
                assert worker.running, f"overgang worker exited:\n{worker.log_tail()}"
            assert time.monotonic() < deadline, "the workers did not reach the database"
            connection.rollback()  # pg_stat_activity stays the same within a transaction
            time.sleep(0.1)
    engine.dispose()
    return workers


def test_two_workers_never_push_one_message_twice(
    postgres_database: str, processes: Processes
) -> None:
    workers: list[OvergangProcess] = []

    def which_worker(port: int) -> int | None:
        return connection_owner(port, [worker.pid for worker in workers])

    with faulty_receiver(slightly_slow, identify=which_worker) as receiver:
        deployment = deploy(postgres_database, webhook_url=receiver.url)
        server = processes.serve(deployment.env, worker=False)
        workers += start_workers(processes, deployment.env, count=2)
        sent, finish = stream(
            server.base_url, deployment.hospital_token, admissions(MESSAGES), retry_for=30
        )
        finish()
        wait_until_delivered(postgres_database, MESSAGES, timeout=60)
        inbox_items = inbox(server.base_url, deployment.municipality_token)
        survived = all(worker.running for worker in workers)

    pushes = Counter(request.webhook_id for request in receiver.requests)
    assert sent.accepted() == MESSAGES
    assert survived
    senders = Counter(request.sender for request in receiver.requests)
    assert set(senders) == {worker.pid for worker in workers}, f"pushes by process: {senders}"
    assert receiver.overlaps == []
    assert set(pushes.values()) == {1}
    assert_each_message_taken_once(receiver, inbox_items, count=MESSAGES)
    assert half_done(postgres_database, max_attempts=MAX_ATTEMPTS) == {}


def test_a_delivery_in_flight_past_its_lease_is_not_claimed_by_a_second_worker(
    postgres_database: str, processes: Processes
) -> None:
    with faulty_receiver() as receiver:
        deployment = deploy(postgres_database, webhook_url=receiver.url)
        server = processes.serve(deployment.env, worker=False)
        sent, finish = stream(
            server.base_url, deployment.hospital_token, admissions(BATCH), retry_for=30
        )
        finish()
        settings = Settings(
            database_url=postgres_database,
            allow_insecure_webhooks=True,
            secret_keys=TEST_SECRET_KEYS,
            worker_batch_size=BATCH,
            worker_concurrency=1,
        )
        engine = create_db_engine(postgres_database)
        sessions = session_factory(engine)
        receiver.hold()  # the first worker's first push hangs, as at a slow receiver
        with (
            make_client(connect_timeout=1, read_timeout=10) as client,
            ThreadPoolExecutor(max_workers=1) as pool,
            ThreadPoolExecutor(max_workers=1) as first_worker,
        ):
            first_round = first_worker.submit(
                deliver_due,
                sessions=sessions,
                settings=settings,
                client=client,
                pool=pool,
                clock=utc_now,
                rng=random.Random(1),
            )
            receiver.wait_until(lambda: receiver.held > 0, timeout=10, what="the first push")
            # The second worker's round when the lease has run out, the first batch still going.
            taken_again = claim_jobs(
                sessions=sessions,
                settings=settings,
                now=utc_now() + LEASE + timedelta(seconds=1),
                limit=BATCH,
            )
            in_flight = {request.webhook_id for request in receiver.requests if request.held}
            receiver.release()
            # Between them the two took each delivery once.
            assert first_round.result(timeout=30) + len(taken_again) == BATCH
        engine.dispose()

    assert sent.accepted() == BATCH
    # The one being sent stays with its worker; the others were free for the second worker.
    assert in_flight and not in_flight & {str(job.message_id) for job in taken_again}
