"""`overgang serve` killed with SIGKILL in the middle of 500 messages, with a push in flight,
and started again on the same database: nothing lost, nothing taken twice, nothing half-done."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from tests.faults.checks import assert_each_message_taken_once, half_done, wait_until_delivered
from tests.faults.conftest import MAX_ATTEMPTS, deploy, let_leases_run_out
from tests.faults.faulty_receiver import faulty_receiver
from tests.faults.hospital import admissions, header_id, inbox, stream
from tests.faults.processes import Processes

MESSAGES = 500
KILL_AFTER = 250
RESENT_ACCEPTED = 20


def ack_response(answer: bytes) -> object:
    """What an Acknowledgement says: which message, and ok or not."""
    return json.loads(answer)["entry"][0]["resource"]["response"]


def test_a_server_killed_mid_stream_loses_and_doubles_nothing(
    best_database: str, processes: Processes
) -> None:
    messages = admissions(MESSAGES)
    with faulty_receiver() as receiver:
        deployment = deploy(best_database, webhook_url=receiver.url)
        server = processes.serve(deployment.env)
        sent, finish = stream(server.base_url, deployment.hospital_token, messages)
        sent.wait_accepted(KILL_AFTER, timeout=60)
        # The receiver takes the next pushes but answers only after the server is gone: their
        # claims must lapse (a lease on SQLite, a row lock on PostgreSQL), and the same
        # webhook-ids come again.
        receiver.hold()
        receiver.wait_until(lambda: receiver.held > 0, timeout=10, what="a push in flight")
        server.kill()
        receiver.release()
        finish()

        leases_cut_off = let_leases_run_out(best_database, taken_before=datetime.now(UTC))
        lost = sent.unanswered(messages)
        again = [raw for raw in messages if raw not in lost][:RESENT_ACCEPTED]
        restarted = processes.serve(deployment.env, port=server.port)
        resent, finish_resend = stream(
            restarted.base_url, deployment.hospital_token, lost + again, retry_for=30
        )
        finish_resend()
        wait_until_delivered(best_database, MESSAGES, timeout=30)
        inbox_items = inbox(restarted.base_url, deployment.municipality_token)

    assert 0 < len(lost) <= MESSAGES - KILL_AFTER, "the kill cut the stream in the middle"
    assert resent.accepted() == len(lost) + len(again)
    for raw in again:  # a resend of an accepted message gets the original answer
        first, second = sent.answers[header_id(raw)], resent.answers[header_id(raw)]
        assert first is not None and second is not None
        assert ack_response(second.content) == ack_response(first.content)
    assert_each_message_taken_once(receiver, inbox_items, count=MESSAGES)
    cut_off = {r.webhook_id for r in receiver.requests if r.held}
    pushes = Counter(r.webhook_id for r in receiver.requests)
    assert cut_off
    if best_database.startswith("sqlite"):
        # SQLite senders lease; PostgreSQL ones hold a row lock that died with the process.
        assert leases_cut_off >= len(cut_off)
    assert all(pushes[webhook_id] >= 2 for webhook_id in cut_off)
    assert half_done(best_database, max_attempts=MAX_ATTEMPTS) == {}
