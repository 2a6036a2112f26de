"""Retention on a real database with a controlled clock: nothing early, everything due, the
figures' fields kept, one citizen's pseudonymised episodes still linked, a dry run harmless."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from overgang.api.app import create_app
from overgang.cli import app as cli_app
from overgang.config import Settings
from overgang.domain.retention import RetentionKind, citizen_key
from overgang.service.database import sessions_for
from overgang.service.retention import run_retention
from overgang.storage.db import transaction
from overgang.storage.models import (
    AuditEvent,
    ChecklistEvaluation,
    Episode,
    EpisodeEvent,
    EpisodeIdentifier,
    InboxMessage,
    ReceivedMessage,
)
from tests.conftest import Api, Partners
from tests.stays import EXAMPLE_CITIZEN, Citizen, Stay, stay

KEY = "k" * 40
DAY = timedelta(days=1)
OTHER_CITIZEN = Citizen("0101904007", "Anna", "Holm")


@pytest.fixture
def retention_api(database_url: str, tokens: Partners) -> Iterator[Api]:
    settings = Settings(database_url=database_url, run_worker=False, citizen_key=KEY)
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens)


def _settings(database_url: str, **changes: Any) -> Settings:
    return Settings(database_url=database_url, run_worker=False, citizen_key=KEY, **changes)


def _send(api: Api, one: Stay, *, discharge: bool = True) -> None:
    assert one.admission is not None and one.discharge is not None
    messages = [one.admission, one.discharge, one.handover] if discharge else [one.admission]
    for message in messages:
        assert api.send(message).status_code == 200


def _inbox_ids(api: Api, episode: str) -> list[str]:
    return [
        item["id"] for item in api.inbox(limit=500).json()["items"] if item["episode"] == episode
    ]


def _snapshot(database_url: str) -> dict[str, Any]:
    with transaction(sessions_for(_settings(database_url))) as session:
        return {
            "inbox_bodies": sorted(len(b) for b in session.scalars(select(InboxMessage.body))),
            "received_bodies": sorted(
                len(b) for b in session.scalars(select(ReceivedMessage.body))
            ),
            "cprs": sorted(str(c) for c in session.scalars(select(Episode.cpr))),
            "identifiers": session.scalar(select(func.count(EpisodeIdentifier.id))),
            "audit": session.scalar(select(func.count(AuditEvent.id))),
            "reported": session.scalar(
                select(func.count(InboxMessage.id)).where(
                    InboxMessage.undelivered_reported_at.is_not(None)
                )
            ),
        }


def test_retention_keeps_until_due_then_deletes_and_pseudonymises(
    retention_api: Api, database_url: str
) -> None:
    api, start = retention_api, datetime.now(UTC)
    first = stay(discharge_at=start - 3 * DAY)  # acknowledged by Aalborg
    second = stay(discharge_at=start - 2 * DAY)  # the same citizen again, never acknowledged
    third = stay(discharge_at=start - DAY, citizen=OTHER_CITIZEN)  # still admitted
    _send(api, first)
    _send(api, second)
    _send(api, third, discharge=False)
    for message_id in _inbox_ids(api, first.episode):
        assert api.ack(message_id, {"status": "accepted"}).status_code == 200
    settings = _settings(database_url)
    sessions = sessions_for(settings)

    def run(days: float, *, dry_run: bool = False) -> dict[RetentionKind, int]:
        now = start + timedelta(days=days)
        return run_retention(sessions=sessions, settings=settings, now=now, dry_run=dry_run).counts

    untouched = _snapshot(database_url)
    assert sum(run(1000, dry_run=True).values()) > 0
    assert _snapshot(database_url) == untouched  # a dry run deletes nothing

    assert sum(run(4.9).values()) == 0
    assert run(5.1)[RetentionKind.UNDELIVERED_REPORTED] == 3 + 1  # the second and third stays
    reported = api.episode(second.episode).json()["messages_to_municipality"]
    assert all(message["undelivered_reported_at"] for message in reported)
    assert not any(
        m["undelivered_reported_at"]
        for m in api.episode(first.episode).json()["messages_to_municipality"]
    )

    assert sum(run(29.9).values()) == 0
    done = run(30.1)
    assert done[RetentionKind.DELIVERED_PAYLOADS] == 3
    assert done[RetentionKind.UNDELIVERED_PAYLOADS] == 4
    assert done[RetentionKind.RECEIVED_PAYLOADS] == 7
    assert done[RetentionKind.EPISODES_PSEUDONYMISED] == 0
    gone = api.inbox_message(_inbox_ids(api, first.episode)[0])
    assert gone.status_code == 410
    assert "application/problem+json" in gone.headers["content-type"]

    assert run(89.9)[RetentionKind.EPISODES_PSEUDONYMISED] == 0
    assert run(90.1)[RetentionKind.EPISODES_PSEUDONYMISED] == 2
    with transaction(sessions) as session:
        episodes = {e.citizen_key: e for e in session.scalars(select(Episode))}
        keyed = [e for e in session.scalars(select(Episode)) if e.pseudonymised_at]
        assert len(keyed) == 2 and len(episodes) == 2  # one key for the first citizen's two
        assert {e.citizen_key for e in keyed} == {
            citizen_key(EXAMPLE_CITIZEN.cpr, key=KEY.encode())
        }
        for episode in keyed:
            assert (episode.cpr, episode.content, episode.readiness_reason) == (None, None, None)
            # What the figures count survives: organisations, state, times, timeline, checklist.
            assert episode.state == "discharged"
            assert episode.admitted_at and episode.discharged_at
            assert episode.municipality_organisation_id and episode.hospital_organisation_id
            assert session.scalar(
                select(func.count(EpisodeEvent.id)).where(EpisodeEvent.episode_id == episode.id)
            )
            assert session.scalar(
                select(func.count(ChecklistEvaluation.id)).where(
                    ChecklistEvaluation.episode_id == episode.id
                )
            )
        still_open = session.scalars(select(Episode).where(Episode.cpr.is_not(None))).one()
        assert still_open.cpr == OTHER_CITIZEN.cpr and still_open.citizen_key is None
        remaining = session.scalars(select(EpisodeIdentifier.episode_id)).all()
        assert set(remaining) == {still_open.id}
    listed = api.inbox(limit=500).json()["items"]
    assert len(listed) == 7
    assert {item["cpr"] for item in listed} == {None, OTHER_CITIZEN.cpr}
    assert all(item["payload_deleted_at"] for item in listed)

    audit_rows = _snapshot(database_url)["audit"]
    assert run(729)[RetentionKind.AUDIT_ROWS] == 0
    assert run(731)[RetentionKind.AUDIT_ROWS] == audit_rows
    assert _snapshot(database_url)["audit"] == 0


def test_without_a_citizen_key_closed_episodes_wait(api: Api, database_url: str) -> None:
    one = stay(discharge_at=datetime.now(UTC) - DAY)
    _send(api, one)
    settings = Settings(database_url=database_url, run_worker=False)
    counts = run_retention(
        sessions=sessions_for(settings), settings=settings, now=datetime.now(UTC) + 91 * DAY
    ).counts

    assert counts[RetentionKind.EPISODES_PSEUDONYMISED] == 0
    assert counts[RetentionKind.EPISODES_WAITING_FOR_KEY] == 1
    assert api.episode(one.episode).json()["cpr"] == EXAMPLE_CITIZEN.cpr


def test_retention_run_command_prints_counts_never_personal_data(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _send(api, stay(discharge_at=datetime.now(UTC) - DAY))
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    before = _snapshot(database_url)

    result = CliRunner().invoke(cli_app, ["retention", "run", "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "kind\tdue (dry run, nothing changed)"
    assert {line.split("\t")[0] for line in lines[1:]} == {kind.value for kind in RetentionKind}
    assert EXAMPLE_CITIZEN.cpr not in result.output
    assert _snapshot(database_url) == before
