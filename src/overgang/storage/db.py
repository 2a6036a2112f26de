"""Engine, sessions and migrations for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker


def create_db_engine(url: str) -> Engine:
    """An engine with the settings each database needs to be safe under concurrent use."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        in_memory = not database or database == ":memory:" or "mode=memory" in url
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            # A file's pool hands out the connection used last: SQLite keeps a connection's
            # page cache while no other connection has written, so nothing is read again.
            # (A database in memory has one connection per thread, and no such choice.)
            **({} if in_memory else {"pool_use_lifo": True}),
            json_serializer=_json_text,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
    )


def _json_text(value: Any) -> str:
    # JSON columns are written (and read) on every message; orjson takes a fraction of the time
    # of the standard library's json, and reads what either wrote.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Pages are read from the operating system's cache in place instead of copied by a read
    # call each time a connection's own cache is stale (another connection wrote).
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class SqliteTurn:
    """One transaction at a time on SQLite, among the threads of this process and, through an
    advisory lock on `<database>.lock`, among processes (`overgang serve --workers`, a separate
    `overgang worker`).

    SQLite has one writer at a time. Its own busy handler makes a waiting writer sleep with
    growing back-off (1 ms up to 100 ms) and leaves the core idle; a waiter here is woken the
    moment the turn is free.
    """

    def __init__(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # only the thread holding `_threads` reads or writes it
        self._files: dict[str, int] = {}

    @contextmanager
    def __call__(self, database: str | None) -> Iterator[None]:
        with self._threads:
            outermost = self._depth == 0
            lock_file = self._lock_file(database) if outermost else None
            if lock_file is not None:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if lock_file is not None:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _lock_file(self, database: str | None) -> int | None:
        if not database or database == ":memory:" or database.startswith("file:"):
            return None  # a database of this process alone: the thread lock is enough
        # Kept by the name as given, resolved once: resolving asks the file system every time.
        if database not in self._files:
            path = str(Path(database).resolve()) + ".lock"
            try:
                self._files[database] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None  # no folder to write in: SQLite will fail to open, and say so
        return self._files[database]


_SQLITE_TURN = SqliteTurn()


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: everything inside commits together or not at all."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        turn: AbstractContextManager[None] = _SQLITE_TURN(bind.url.database)
    else:
        turn = nullcontext()
    with turn, sessions() as session, session.begin():
        yield session


def migrations_dir() -> Path:
    configured = os.environ.get("OVERGANG_MIGRATIONS_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [Path(__file__).resolve().parents[3] / "migrations", Path.cwd() / "migrations"]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(
        "the Alembic migrations folder was not found; set OVERGANG_MIGRATIONS_DIR"
    )


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Create or migrate the database to the newest schema."""
    command.upgrade(alembic_config(url), "head")


def is_migrated(engine: Engine) -> bool:
    """True when the database is reachable and at the newest schema revision."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
