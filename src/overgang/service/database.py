"""The database as commands and probes see it: sessions for a command, migrating, readiness."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.storage.db import create_db_engine, is_migrated, session_factory, upgrade_database


def sessions_for(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database, for one command or process."""
    return session_factory(create_db_engine(settings.database_url))


def dispose(sessions: sessionmaker[Session]) -> None:
    """Close the connections of sessions made by `sessions_for` (a command that is done)."""
    bind = sessions.kw.get("bind")
    if isinstance(bind, Engine):
        bind.dispose()


def upgrade(*, database_url: str) -> None:
    """Create or migrate the database to the newest schema."""
    upgrade_database(database_url)


def database_state(*, engine: Engine) -> Literal["ok", "not migrated", "unreachable"]:
    """Whether the database answers and is at the newest schema, for the readiness probe."""
    try:
        return "ok" if is_migrated(engine) else "not migrated"
    except SQLAlchemyError:
        return "unreachable"
