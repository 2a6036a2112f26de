"""Fixtures shared by the integration and API tiers: a migrated database (SQLite, and
PostgreSQL when OVERGANG_TEST_POSTGRES_URL is set), registered partners and an HTTP client."""

from __future__ import annotations

import base64
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from overgang.api.app import create_app
from overgang.config import Settings
from overgang.service import partners, people
from overgang.storage.db import create_db_engine, session_factory, upgrade_database
from overgang.storage.models import Base
from tests.messages import (
    AALBORG_GLN,
    AALBORG_SOR,
    HOSPITAL_GLN,
    HOSPITAL_SOR,
    MEDCOM_SENDER_GLN,
    MEDCOM_SENDER_SOR,
    body,
)

POSTGRES_URL = os.environ.get("OVERGANG_TEST_POSTGRES_URL")
# Webhook secrets are sealed at rest; the tests' key (never a real installation's).
TEST_SECRET_KEYS = "test1:" + base64.b64encode(bytes(range(32))).decode("ascii")
COPENHAGEN_SOR, COPENHAGEN_GLN = "123456100001608", "5790000111114"


# Tests marked `serial` must run alone, never beside another test (the PostgreSQL restart stops
# the server every other test uses). `make test` runs the rest on several workers (pytest-xdist)
# and then these in a second, serial pass: scripts/pytest-passes.sh.
SERIAL_CHOICES = ("auto", "skip", "only")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--serial-tests",
        choices=SERIAL_CHOICES,
        default="auto",
        help="tests marked serial: 'skip' leaves them out, 'only' runs nothing else; "
        "'auto' (the default) leaves them out of a run spread over workers (-n), "
        "where they cannot run alone, and runs them otherwise",
    )


def _serial_mode(config: pytest.Config) -> str:
    mode = str(config.getoption("--serial-tests"))
    if mode == "auto":
        distributed = hasattr(config, "workerinput") or bool(
            getattr(config.option, "numprocesses", None)
        )
        return "skip" if distributed else "run"
    return mode


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mode = _serial_mode(config)
    if mode == "run":
        return
    wanted = mode == "only"
    kept = [item for item in items if (item.get_closest_marker("serial") is not None) == wanted]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _serial_mode(config) == "skip" and not hasattr(config, "workerinput"):
        terminalreporter.write_line(
            "tests marked serial were left out of this run; "
            "run them alone with: pytest --serial-tests=only"
        )


# The board's hasher as production has it (argon2id, RFC 9106 "low memory": 64 MiB, 3 passes),
# taken before the tests swap it; tests/unit/test_password_hashing.py holds it to that.
PRODUCTION_PASSWORD_HASHER = people._HASHER


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """argon2id with the least work in the tests' own process: production's parameters cost
    ~0.1-0.3 s a hash or check, and the board's tests hash and check hundreds of times. What
    they test (which secret or password is taken, lockout, one-time use) does not depend on the
    cost; a hash states its own parameters, so checks against either kind keep working."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(people, "_HASHER", cheap)
        patch.setattr(people, "_DUMMY_HASH", cheap.hash("not anyone's secret"))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "overgang.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server, dropped at the end.

    Its own database, so that test runs side by side on one server never reset each other.
    """
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL tests need OVERGANG_TEST_POSTGRES_URL (see scripts/test-postgres.sh)"
        )
    server = make_url(POSTGRES_URL)
    name = f"{server.database}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    yield url
    admin.dispose()  # the fault tests restart the server: start from a fresh connection
    drop_test_database(admin, name)


def drop_test_database(admin: Engine, name: str) -> None:
    """Drop a test database, retrying while an autovacuum worker is in it: a non-superuser
    may not end that process, so FORCE fails until it is done. A database left behind is
    harmless (every run makes its own), so giving up only warns."""
    for attempt in range(10):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            break
        except (ProgrammingError, OperationalError):
            admin.dispose()
            time.sleep(0.2 * (attempt + 1))
    else:
        warnings.warn(f"test database {name} could not be dropped", stacklevel=2)
    admin.dispose()


# Every table emptied, children before parents. DELETE, not TRUNCATE: the tables hold a test's
# few rows, and TRUNCATE's new files cost ~0.15 s a test where DELETE takes ~1 ms. (No table
# has a sequence to restart: the keys are UUIDs and the sequences numbers the app keeps.)
_EMPTY_ALL = ";\n".join(
    f"DELETE FROM {table.name}" for table in reversed(Base.metadata.sorted_tables)
)


def _emptied(url: str) -> str:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(_EMPTY_ALL))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database: every test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_copy(sqlite_template, tmp_path)
    return _emptied(request.getfixturevalue("postgres_url"))


def sqlite_copy(template: Path, folder: Path) -> str:
    """A copy of the migrated template in `folder`, as a database URL."""
    copy = folder / "overgang.db"
    shutil.copy(template, copy)
    return f"sqlite:///{copy}"


@dataclass
class Partners:
    hospital: str
    medcom_hospital: str
    aalborg: str
    copenhagen: str


@pytest.fixture
def tokens(database_url: str) -> Partners:
    """The example stay's hospital and Aalborg, MedCom's test sender, and Copenhagen, with tokens."""
    now = datetime.now(UTC)
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    partners.register_hospital(
        sessions=sessions, sor=HOSPITAL_SOR, gln=HOSPITAL_GLN, name="Psyk S4", now=now
    )
    partners.register_hospital(
        sessions=sessions, sor=MEDCOM_SENDER_SOR, gln=MEDCOM_SENDER_GLN, name="Herlev", now=now
    )
    partners.register_municipality(
        sessions=sessions, code="851", sor=AALBORG_SOR, gln=AALBORG_GLN, name=None, now=now
    )
    partners.register_municipality(
        sessions=sessions, code="0101", sor=COPENHAGEN_SOR, gln=COPENHAGEN_GLN, name=None, now=now
    )
    result = Partners(
        **{
            name: partners.create_client(sessions=sessions, org=org, name=name, now=now).token
            for name, org in (
                ("hospital", HOSPITAL_SOR),
                ("medcom_hospital", MEDCOM_SENDER_SOR),
                ("aalborg", "0851"),
                ("copenhagen", "0101"),
            )
        }
    )
    engine.dispose()
    return result


class Api:
    """The HTTP API as a partner's system uses it."""

    def __init__(self, client: TestClient, tokens: Partners) -> None:
        self.client = client
        self.tokens = tokens

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def send(
        self,
        bundle: dict[str, Any] | bytes,
        *,
        token: str | None = None,
        content_type: str = "application/fhir+json",
    ) -> Any:
        data = bundle if isinstance(bundle, bytes) else body(bundle)
        return self.client.post(
            "/fhir/$process-message",
            content=data,
            headers={**self.auth(token or self.tokens.hospital), "Content-Type": content_type},
        )

    def inbox(self, *, token: str | None = None, **params: Any) -> Any:
        return self.client.get(
            "/api/v1/inbox", params=params, headers=self.auth(token or self.tokens.aalborg)
        )

    def inbox_message(
        self, message_id: str, *, token: str | None = None, fhir: bool = False
    ) -> Any:
        headers = self.auth(token or self.tokens.aalborg)
        if fhir:
            headers["Accept"] = "application/fhir+json"
        return self.client.get(f"/api/v1/inbox/{message_id}", headers=headers)

    def ack(self, message_id: str, answer: dict[str, Any], *, token: str | None = None) -> Any:
        return self.client.post(
            f"/api/v1/inbox/{message_id}/ack",
            json=answer,
            headers=self.auth(token or self.tokens.aalborg),
        )

    def episode(self, identifier: str, *, token: str | None = None) -> Any:
        return self.client.get(
            f"/api/v1/episodes/{identifier}", headers=self.auth(token or self.tokens.hospital)
        )


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Tests that push start the sender themselves; the others need no background thread.
    return Settings(
        database_url=database_url,
        run_worker=False,
        allow_insecure_webhooks=True,
        secret_keys=TEST_SECRET_KEYS,
    )


@pytest.fixture
def api(settings: Settings, tokens: Partners) -> Iterator[Api]:
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens)
