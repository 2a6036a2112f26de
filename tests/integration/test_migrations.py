"""The Alembic migrations, run from empty, give exactly the schema the models describe."""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from overgang.storage.db import alembic_config, create_db_engine, is_migrated
from overgang.storage.models import Base
from overgang.storage.types import UTCDateTime


def test_upgrade_from_empty_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()

    assert differences == []


def test_a_migrated_database_reports_ready(database_url: str) -> None:
    engine = create_db_engine(database_url)

    assert is_migrated(engine)
    engine.dispose()


def test_an_empty_database_is_not_ready(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")

    assert not is_migrated(engine)
    engine.dispose()


def test_episodes_stored_before_owners_belong_to_their_hospital(database_url: str) -> None:
    """0004 on a database with data: each hospital without a region is its own owner."""
    config = alembic_config(database_url)
    command.downgrade(config, "0003")
    hospital, episode, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    organisations = sa.table(
        "organisations",
        *(sa.column(name, sa.Uuid) for name in ("id",)),
        *(sa.column(name) for name in ("kind", "name", "sor", "inbox_sequence")),
        sa.column("created_at", UTCDateTime()),
    )
    episodes = sa.table(
        "episodes",
        sa.column("id", sa.Uuid),
        sa.column("hospital_organisation_id", sa.Uuid),
        sa.column("municipality_organisation_id", sa.Uuid),
        *(sa.column(name) for name in ("cpr", "state")),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    identifiers = sa.table(
        "episode_identifiers",
        sa.column("id", sa.Uuid),
        sa.column("episode_id", sa.Uuid),
        *(sa.column(name) for name in ("system", "value")),
    )
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            organisations.insert().values(
                id=hospital,
                kind="hospital",
                name="Psyk",
                sor="1144561000016002",
                inbox_sequence=0,
                created_at=now,
            )
        )
        connection.execute(
            episodes.insert().values(
                id=episode,
                hospital_organisation_id=hospital,
                municipality_organisation_id=hospital,
                cpr="2509479989",
                state="admitted",
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            identifiers.insert().values(
                id=uuid.uuid4(), episode_id=episode, system="urn:x", value="v1"
            )
        )

    command.upgrade(config, "head")

    with engine.connect() as connection:
        owners = connection.execute(
            sa.text(
                "SELECT e.owner, i.owner FROM episodes e JOIN episode_identifiers i"
                " ON i.episode_id = e.id"
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in owners] == [("1144561000016002", "1144561000016002")]
