"""A receiver that fails about half its requests and answers some only after the sender has
stopped waiting: every message still arrives, signed, and is taken exactly once."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from standardwebhooks import Webhook

from tests.faults.checks import (
    assert_each_message_taken_once,
    half_done,
    inbox_bodies,
    wait_until_delivered,
)
from tests.faults.conftest import MAX_ATTEMPTS, READ_TIMEOUT, deploy
from tests.faults.faulty_receiver import Answer, Behaviour, faulty_receiver
from tests.faults.hospital import admissions, inbox, stream
from tests.faults.processes import Processes

MESSAGES = 100
# Fewer than the nine attempts the schedule allows, so no message can end up dead by bad luck.
MAX_FAILURES_PER_MESSAGE = 4


def half_failing() -> Behaviour:
    """About half the requests get a 500; every seventh is taken but answered too late."""
    rng = random.Random(20260302)
    failures: Counter[str] = Counter()

    def behaviour(number: int, webhook_id: str) -> Answer:
        if failures[webhook_id] >= MAX_FAILURES_PER_MESSAGE:
            return Answer()
        if number % 7 == 6:
            failures[webhook_id] += 1
            return Answer(delay=READ_TIMEOUT + 0.5)
        if rng.random() < 0.5:
            failures[webhook_id] += 1
            return Answer(500)
        return Answer()

    return behaviour


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_database"))


def test_every_message_arrives_once_at_a_receiver_failing_half_its_requests(
    database: str, processes: Processes
) -> None:
    with faulty_receiver(half_failing()) as receiver:
        deployment = deploy(database, webhook_url=receiver.url)
        server = processes.serve(deployment.env)
        sent, finish = stream(server.base_url, deployment.hospital_token, admissions(MESSAGES))
        finish()
        wait_until_delivered(database, MESSAGES, timeout=60)
        inbox_items = inbox(server.base_url, deployment.municipality_token)

    requests = receiver.requests
    answers = Counter(request.answer for request in requests)
    assert sent.accepted() == MESSAGES
    assert answers[Answer(500)] > MESSAGES / 3  # the faults did happen
    assert answers[Answer(delay=READ_TIMEOUT + 0.5)] > MESSAGES / 10
    assert_each_message_taken_once(receiver, inbox_items, count=MESSAGES)
    bodies = inbox_bodies(database)
    for request in requests:
        Webhook(deployment.webhook_secret).verify(request.body, request.headers)
        assert request.body == bodies[request.webhook_id]  # the same bytes on every retry
    assert half_done(database, max_attempts=MAX_ATTEMPTS) == {}
