"""Fixtures of the fault tests: a database of the test's own, the partners set up in it, a
misbehaving receiver, and `overgang` processes that are always ended at teardown."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text

from overgang.config import Settings
from overgang.service import partners, webhooks
from overgang.storage.db import create_db_engine, session_factory, transaction, upgrade_database
from overgang.storage.models import Delivery
from tests.conftest import TEST_SECRET_KEYS, drop_test_database
from tests.faults.processes import Processes
from tests.messages import AALBORG_GLN, AALBORG_SOR, HOSPITAL_GLN, HOSPITAL_SOR

POSTGRES_URL = os.environ.get("OVERGANG_TEST_POSTGRES_URL")
# Nine attempts within about seven seconds: faults heal inside the test's time budget.
RETRY_SCHEDULE = "0.2,0.5,1,1,1,1,1,1"
MAX_ATTEMPTS = 9
READ_TIMEOUT = 1.0
# How long a SQLite sender's lease keeps a delivery from others (PostgreSQL holds row locks).
LEASE = timedelta(seconds=Settings().delivery_lease_seconds)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'overgang.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A database of this test's own on the shared PostgreSQL server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("needs OVERGANG_TEST_POSTGRES_URL (see scripts/test-postgres.sh)")
    server = make_url(POSTGRES_URL)
    name = f"{server.database}_faults_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    yield url
    drop_test_database(admin, name)


@pytest.fixture
def best_database(request: pytest.FixtureRequest) -> str:
    """PostgreSQL when the tests have one (as in production), otherwise SQLite."""
    return str(request.getfixturevalue("postgres_database" if POSTGRES_URL else "sqlite_database"))


@dataclass(frozen=True)
class Deployment:
    database_url: str
    hospital_token: str
    municipality_token: str
    webhook_secret: str
    env: dict[str, str]


def deploy(database_url: str, *, webhook_url: str) -> Deployment:
    """The example ward and Aalborg with a token each, and Aalborg's webhook endpoint.

    Set up in-process rather than through the CLI: six CLI starts would cost ~8 s per test.
    """
    settings = Settings(
        database_url=database_url, allow_insecure_webhooks=True, secret_keys=TEST_SECRET_KEYS
    )
    now = datetime.now(UTC)
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    partners.register_hospital(
        sessions=sessions, sor=HOSPITAL_SOR, gln=HOSPITAL_GLN, name="Psyk S4", now=now
    )
    partners.register_municipality(
        sessions=sessions, code="851", sor=AALBORG_SOR, gln=AALBORG_GLN, name=None, now=now
    )
    hospital = partners.create_client(sessions=sessions, org=HOSPITAL_SOR, name="EPJ", now=now)
    aalborg = partners.create_client(sessions=sessions, org="0851", name="EOJ", now=now)
    _, secret = webhooks.register_endpoint(
        sessions=sessions, municipality="0851", url=webhook_url, settings=settings, now=now
    )
    engine.dispose()
    env = {
        **os.environ,
        "OVERGANG_DATABASE_URL": database_url,
        "OVERGANG_ALLOW_INSECURE_WEBHOOKS": "true",
        "OVERGANG_SECRET_KEYS": TEST_SECRET_KEYS,
        "OVERGANG_WEBHOOK_RETRY_SCHEDULE": RETRY_SCHEDULE,
        "OVERGANG_WEBHOOK_READ_TIMEOUT": str(READ_TIMEOUT),
        "OVERGANG_WEBHOOK_CONNECT_TIMEOUT": "1",
        "OVERGANG_WORKER_POLL_SECONDS": "0.05",
        "OVERGANG_LOG_LEVEL": "WARNING",
    }
    return Deployment(database_url, hospital.token, aalborg.token, secret, env)


def let_leases_run_out(database_url: str, *, taken_before: datetime) -> int:
    """Move every lease taken before `taken_before` back by its length, as if it had run out.

    Waiting out a lease (`delivery_lease_seconds`) would cost a test minutes.
    Only for leases nobody holds any more (a killed server's, a round that failed in an outage),
    where this is the same as waiting. Returns how many there were.
    """
    engine = create_db_engine(database_url)
    with transaction(session_factory(engine)) as session:
        left = session.scalars(
            select(Delivery).where(Delivery.leased_until < taken_before + LEASE)
        ).all()
        for delivery in left:
            assert delivery.leased_until is not None
            delivery.leased_until -= LEASE
    engine.dispose()
    return len(left)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Starts `overgang serve` and `overgang worker`; whatever was started is ended, always."""
    with Processes(log_dir=tmp_path) as launcher:
        yield launcher
