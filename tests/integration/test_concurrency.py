"""Several API workers on one database: inbox numbers stay gapless and a message racing
in twice is taken once."""

from __future__ import annotations

import copy
import fcntl
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from overgang.checklist import default_checklist_dir, load_checklists
from overgang.config import Settings
from overgang.service.audit import AuditContext
from overgang.service.caller import authenticate
from overgang.service.process import process_message
from overgang.storage.db import (
    create_db_engine,
    session_factory,
    transaction,
    upgrade_database,
)
from overgang.storage.models import InboxMessage, ReceivedMessage
from tests.conftest import Partners
from tests.messages import body, example, resources, with_fresh_ids

WORKERS = 8


def stin_for_new_episode() -> dict:  # type: ignore[type-arg]
    message = with_fresh_ids(example("01-admission-STIN.json"))
    encounter = resources(message, "Encounter")[0]
    encounter["episodeOfCare"][0]["identifier"]["value"] = str(uuid.uuid4())
    return message


def test_concurrent_messages_get_gapless_inbox_numbers_and_a_race_is_taken_once(
    database_url: str, tokens: Partners
) -> None:
    settings = Settings(database_url=database_url)
    sessions = session_factory(create_db_engine(database_url))
    with transaction(sessions) as session:
        caller = authenticate(session=session, token=tokens.hospital)
    distinct = [body(stin_for_new_episode()) for _ in range(24)]
    racing = body(copy.deepcopy(stin_for_new_episode()))

    def send(raw: bytes) -> int:
        return process_message(
            sessions=sessions,
            caller=caller,
            body=raw,
            content_type="application/fhir+json",
            settings=settings,
            checklists=load_checklists(default_checklist_dir()),
            audit=AuditContext(at=datetime.now(UTC), request_id=None, client_address="127.0.0.1"),
            now=datetime.now(UTC),
        ).status

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = list(pool.map(send, distinct + [racing] * WORKERS))

    assert set(statuses) == {200}
    with transaction(sessions) as session:
        sequences = session.scalars(
            select(InboxMessage.sequence).order_by(InboxMessage.sequence)
        ).all()
        received = session.scalar(select(func.count()).select_from(ReceivedMessage))
    assert list(sequences) == list(range(1, len(distinct) + 2))
    assert received == len(distinct) + 1


def test_a_sqlite_transaction_waits_for_another_process_turn(tmp_path: Path) -> None:
    """Another process holding the database's turn (its lock file) keeps this one waiting."""
    url = f"sqlite:///{tmp_path / 'turn.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    # A second open file description behaves towards ours as another process's would.
    other_process = os.open(tmp_path / "turn.db.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other_process, fcntl.LOCK_EX)
    entered = threading.Event()

    def run_transaction() -> None:
        with transaction(sessions):
            entered.set()

    waiting = threading.Thread(target=run_transaction)
    waiting.start()
    try:
        assert not entered.wait(0.3), "the transaction did not wait for the other process"
    finally:
        fcntl.flock(other_process, fcntl.LOCK_UN)
        os.close(other_process)
    assert entered.wait(5)
    waiting.join(5)
    engine.dispose()
