"""PostgreSQL restarted while hospitals send and a separate worker pushes: the server and the
worker ride it out, hospitals resend what failed, and every message arrives exactly once."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.faults.checks import assert_each_message_taken_once, half_done, wait_until_delivered
from tests.faults.conftest import MAX_ATTEMPTS, deploy, let_leases_run_out
from tests.faults.faulty_receiver import faulty_receiver
from tests.faults.hospital import admissions, inbox, stream
from tests.faults.processes import Processes

# It stops the PostgreSQL server that every other test uses: it runs alone (`serial`).
pytestmark = [pytest.mark.postgres, pytest.mark.serial]
MESSAGES = 300
RESTART_AFTER = 100
# At most 40 a second: the 200 messages after the restart began take 5 s or more, longer than
# the restart (about 3 s), so the hospitals do meet the outage however fast the machine.
RATE = 40
SCRIPT = Path(__file__).parents[2] / "scripts" / "test-postgres.sh"


def restart_postgres() -> None:
    subprocess.run(["bash", str(SCRIPT), "restart"], check=True, capture_output=True, timeout=60)


def test_a_postgres_restart_mid_stream_loses_and_doubles_nothing(
    postgres_database: str, processes: Processes
) -> None:
    local = make_url(postgres_database).host in ("127.0.0.1", "localhost")
    if not local or os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        pytest.skip("restarting PostgreSQL takes a local server, root and pg_ctlcluster (SCRIPT)")
    with faulty_receiver() as receiver:
        deployment = deploy(postgres_database, webhook_url=receiver.url)
        server = processes.serve(deployment.env, worker=False)
        worker = processes.worker(deployment.env)
        sent, finish = stream(
            server.base_url,
            deployment.hospital_token,
            admissions(MESSAGES),
            retry_for=60,
            rate=RATE,
        )
        sent.wait_accepted(RESTART_AFTER, timeout=60)
        restart_postgres()
        restarted = datetime.now(UTC)
        finish()
        # A push whose outcome could not be recorded during the outage keeps its lease and is
        # sent again when that runs out; its round failed, so nobody holds it any more.
        let_leases_run_out(postgres_database, taken_before=restarted)
        wait_until_delivered(postgres_database, MESSAGES, timeout=30)
        inbox_items = inbox(server.base_url, deployment.municipality_token)
        survived = server.running and worker.running

    assert sent.retries > 0, "the hospitals felt the restart"
    assert sent.accepted() == MESSAGES
    assert survived
    assert_each_message_taken_once(receiver, inbox_items, count=MESSAGES)
    assert half_done(postgres_database, max_attempts=MAX_ATTEMPTS) == {}
