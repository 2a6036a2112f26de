"""The intake's audit seam: an accepted message's row commits with it, naming its episode; a
refused one is recorded on its own, naming none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from overgang.errors import Forbidden, Unprocessable
from overgang.service.audit import AuditContext, audit_intake
from overgang.service.caller import authenticate
from overgang.storage import audit as audit_store
from overgang.storage.db import create_db_engine, session_factory, transaction
from tests.conftest import Partners


def test_intake_rows_say_how_each_message_ended(database_url: str, tokens: Partners) -> None:
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        caller = authenticate(session=session, token=tokens.hospital)
    audit = AuditContext(at=datetime.now(UTC), request_id="r1", client_address="10.0.0.7")
    episode_id = uuid.uuid4()

    with audit_intake(
        sessions=sessions, caller=caller, audit=audit, channel="fhir", header_id="h-1"
    ) as access:
        access.touches(episode_id)
    for error in (Unprocessable("no receiver"), Forbidden("not its own sender")):
        with (
            pytest.raises(type(error)),
            audit_intake(sessions=sessions, caller=caller, audit=audit, channel="events"),
        ):
            raise error

    with transaction(sessions) as session:
        rows = audit_store.list_audit_events(
            session=session, since=audit.at - timedelta(seconds=1), limit=10
        )
    engine.dispose()
    ended = sorted((row.event.action, row.event.outcome, row.event.episode_ids) for row in rows)
    assert ended == [
        ("intake.events", "denied", []),
        ("intake.events", "refused", []),
        ("intake.fhir", "allowed", [str(episode_id)]),
    ]
    assert {row.event.client_address for row in rows} == {"10.0.0.7"}
    assert {row.event.resource_id for row in rows} == {"h-1", None}
