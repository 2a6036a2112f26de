"""The end state every fault test asks for, read straight from the database."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from overgang.storage.db import create_db_engine
from overgang.storage.models import InboxMessage
from tests.faults.faulty_receiver import FaultyReceiver

# Each query lists what would be left half-done; all of them must come back empty.
HALF_DONE = {
    "received message without an episode": """
        SELECT r.id FROM received_messages r WHERE r.episode_id IS NULL""",
    "received message without its inbox message": """
        SELECT r.id FROM received_messages r WHERE NOT EXISTS (
            SELECT 1 FROM inbox_messages i WHERE i.received_message_id = r.id)""",
    "received message without its timeline event": """
        SELECT r.id FROM received_messages r WHERE NOT EXISTS (
            SELECT 1 FROM episode_events e WHERE e.received_message_id = r.id)""",
    "inbox message without a delivery to an active endpoint": """
        SELECT i.id FROM inbox_messages i JOIN webhook_endpoints w
            ON w.municipality_organisation_id = i.municipality_organisation_id AND w.active
        WHERE NOT EXISTS (SELECT 1 FROM deliveries d
            WHERE d.inbox_message_id = i.id AND d.endpoint_id = w.id)""",
    "pending delivery with its attempts used up": """
        SELECT d.id FROM deliveries d WHERE d.state = 'pending' AND d.attempts >= :max_attempts""",
    "delivery whose attempt count differs from its attempt rows": """
        SELECT d.id FROM deliveries d WHERE d.attempts <> (
            SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id)""",
    "delivered delivery still leased": """
        SELECT d.id FROM deliveries d WHERE d.state = 'delivered' AND d.leased_until IS NOT NULL""",
    "delivered delivery whose inbox message is not marked delivered": """
        SELECT d.id FROM deliveries d JOIN inbox_messages i ON i.id = d.inbox_message_id
        WHERE d.state = 'delivered' AND i.delivered_at IS NULL""",
}


def half_done(database_url: str, *, max_attempts: int) -> dict[str, int]:
    """How many rows each consistency rule finds; only the broken rules are listed."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            found = {
                rule: len(connection.execute(text(sql), {"max_attempts": max_attempts}).all())
                for rule, sql in HALF_DONE.items()
            }
    finally:
        engine.dispose()
    return {rule: count for rule, count in found.items() if count}


def delivery_states(database_url: str) -> dict[str, int]:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT state, count(*) FROM deliveries GROUP BY state")
            ).all()
    finally:
        engine.dispose()
    return {str(state): int(count) for state, count in rows}


def wait_until_delivered(database_url: str, count: int, *, timeout: float) -> float:
    """Wait until `count` deliveries are delivered and none is anything else; seconds waited."""
    started = time.monotonic()
    states: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        try:
            states = delivery_states(database_url)
        except SQLAlchemyError:  # the database may be restarting
            states = {}
        if states == {"delivered": count}:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"after {timeout} s the deliveries are {states}, not {count} delivered")


def inbox_bodies(database_url: str) -> dict[str, bytes]:
    """Each inbox message's outbound bytes by its id, the webhook-id it is pushed under."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(InboxMessage.id, InboxMessage.body)).all()
    finally:
        engine.dispose()
    return {str(message_id): bytes(raw) for message_id, raw in rows}


def assert_each_message_taken_once(
    receiver: FaultyReceiver, inbox_items: list[dict[str, Any]], *, count: int
) -> None:
    """Every message accepted once (a gapless inbox) and taken by the receiver exactly once
    after de-duplication by webhook-id."""
    ids = {str(item["id"]) for item in inbox_items}
    assert [item["sequence"] for item in inbox_items] == list(range(1, count + 1))
    assert {item["status"] for item in inbox_items} == {"delivered"}
    assert {request.webhook_id for request in receiver.requests} == ids
    assert len(receiver.processed) == len(set(receiver.processed)) == count
    assert set(receiver.processed) == ids
