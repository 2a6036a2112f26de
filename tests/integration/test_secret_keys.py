"""Secrets stored in the clear before revision 0007: migrated as they are (the migration cannot
know the key), then sealed when a server or sender starts; and start-up refuses when stored
secrets could not be opened."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from overgang.cli import app as cli
from overgang.config import Settings
from overgang.delivery.secret_keys import Sealed, new_key, parse_secret_keys
from overgang.service.webhook_secrets import SecretKeysMissing, prepare_secrets
from overgang.service.worker import DeliveryWorker
from overgang.storage.db import alembic_config, create_db_engine, session_factory, transaction
from overgang.storage.models import WebhookEndpoint
from overgang.storage.types import UTCDateTime
from tests.conftest import TEST_SECRET_KEYS

CLEAR = "whsec_" + "A" * 43 + "="


def store_a_clear_secret_before_0007(database_url: str) -> uuid.UUID:
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    municipality, endpoint, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    organisations = sa.table(
        "organisations",
        sa.column("id", sa.Uuid),
        *(sa.column(name) for name in ("kind", "name", "sor", "municipality_code")),
        sa.column("inbox_sequence"),
        sa.column("created_at", UTCDateTime()),
    )
    endpoints = sa.table(
        "webhook_endpoints",
        sa.column("id", sa.Uuid),
        sa.column("municipality_organisation_id", sa.Uuid),
        *(sa.column(name) for name in ("url", "secret", "active", "health")),
        sa.column("consecutive_failures"),
        sa.column("created_at", UTCDateTime()),
    )
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            organisations.insert().values(
                id=municipality,
                kind="municipality",
                name="Aalborg",
                sor="425421000016004",
                municipality_code="0851",
                inbox_sequence=0,
                created_at=now,
            )
        )
        connection.execute(
            endpoints.insert().values(
                id=endpoint,
                municipality_organisation_id=municipality,
                url="https://eoj.aalborg.dk/hook",
                secret=CLEAR,
                active=True,
                health="healthy",
                consecutive_failures=0,
                created_at=now,
            )
        )
    engine.dispose()
    command.upgrade(config, "head")
    return endpoint


def stored(database_url: str) -> WebhookEndpoint:
    engine = create_db_engine(database_url)
    with transaction(session_factory(engine)) as session:
        row = session.scalars(select(WebhookEndpoint)).one()
    engine.dispose()
    return row


def prepare(database_url: str, keys: str | None) -> None:
    engine = create_db_engine(database_url)
    settings = Settings(database_url=database_url, secret_keys=keys)
    try:
        prepare_secrets(sessions=session_factory(engine), settings=settings, now=datetime.now(UTC))
    finally:
        engine.dispose()


def test_a_clear_secret_from_before_0007_is_marked_and_sealed_at_start_up(
    database_url: str,
) -> None:
    endpoint_id = store_a_clear_secret_before_0007(database_url)
    migrated = stored(database_url)

    with pytest.raises(SecretKeysMissing, match="OVERGANG_SECRET_KEYS is not set"):
        prepare(database_url, None)
    prepare(database_url, TEST_SECRET_KEYS)
    sealed = stored(database_url)

    assert (migrated.secret_key_id, migrated.sealed_secret, migrated.scheme) == (
        None,
        CLEAR,
        "hmac-sha256",
    )
    assert sealed.secret_key_id == "test1" and CLEAR not in sealed.sealed_secret
    opened = parse_secret_keys(TEST_SECRET_KEYS).open(
        Sealed("test1", sealed.sealed_secret), endpoint_id=endpoint_id
    )
    assert opened == CLEAR


def test_start_up_refuses_secrets_sealed_under_a_key_no_longer_configured(
    database_url: str,
) -> None:
    store_a_clear_secret_before_0007(database_url)
    prepare(database_url, TEST_SECRET_KEYS)

    with pytest.raises(SecretKeysMissing, match="key ids test1"):
        prepare(database_url, f"k2:{new_key()}")
    prepare(database_url, f"k2:{new_key()},{TEST_SECRET_KEYS}")  # both: starts


def test_no_endpoints_need_no_keys(database_url: str) -> None:
    prepare(database_url, None)


def test_the_sender_does_not_start_without_keys_while_secrets_are_stored(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_a_clear_secret_before_0007(database_url)
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    monkeypatch.delenv("OVERGANG_SECRET_KEYS", raising=False)

    def started(self: DeliveryWorker) -> None:
        raise AssertionError("the sender started")

    monkeypatch.setattr(DeliveryWorker, "start", started)  # a regression fails, never hangs

    result = CliRunner().invoke(cli, ["worker"])

    assert result.exit_code == 1
    assert result.output == (
        "error: 1 webhook secrets are stored but OVERGANG_SECRET_KEYS is not set: set it "
        "(see README, Push delivery)\n"
    )
