"""The Alembic migrations, run from empty, give exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from overgang.storage.db import create_db_engine, is_migrated
from overgang.storage.models import Base


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
