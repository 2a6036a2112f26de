"""The statements that run for every message, and retention's, find their rows through an index.

A statement that reads a whole table is fast on a test's few rows and slows intake down as the
tables grow, so it would pass every other test. SQLite's EXPLAIN QUERY PLAN says how each
statement finds its rows; PostgreSQL plans by its statistics and is not asked here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from overgang.config import Settings
from overgang.service.retention import run_retention
from overgang.storage.db import create_db_engine, session_factory
from tests.conftest import Api, sqlite_copy
from tests.messages import example, with_fresh_ids

STAY = ("01-admission-STIN.json", "02-discharge-plan.json", "04-discharge-SLHJ.json")


class Plans:
    """Each distinct statement an engine runs, with SQLite's plan for it."""

    def __init__(self) -> None:
        self.by_statement: dict[str, list[str]] = {}

    def record(self, connection: Any, statement: str, parameters: Any) -> None:
        if statement in self.by_statement or not statement.lstrip().upper().startswith(
            ("SELECT", "UPDATE", "DELETE", "WITH")
        ):
            return
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            rows = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
        finally:
            cursor.close()
        self.by_statement[statement] = [row[-1] for row in rows]

    def full_scans(self) -> dict[str, list[str]]:
        """Statements that read some table whole (a constant row is no table)."""
        return {
            " ".join(statement.split()): plan
            for statement, plan in self.by_statement.items()
            if any(step.startswith("SCAN") and "CONSTANT ROW" not in step for step in plan)
        }

    def of(self, fragment: str) -> list[list[str]]:
        return [plan for statement, plan in self.by_statement.items() if fragment in statement]


def watched(engine: Engine) -> Plans:
    plans = Plans()

    def before_execute(
        connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not many:
            plans.record(connection, statement, parameters)

    event.listen(engine, "before_cursor_execute", before_execute)
    return plans


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: its plans are what these tests read."""
    return sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def intake_plans(api: Api) -> Plans:
    return watched(api.client.app.state.engine)


def test_no_statement_of_intake_reads_a_whole_table(api: Api, intake_plans: Plans) -> None:
    for name in STAY:
        assert api.send(with_fresh_ids(example(name))).status_code == 200
        # A resend: answered from the first copy.
        again = example(name)
        assert api.send(again).status_code == 200

    assert intake_plans.by_statement, "no statement was seen"
    assert intake_plans.full_scans() == {}


def test_the_resend_check_looks_up_header_and_bundle_id_each_on_its_index(
    api: Api, intake_plans: Plans
) -> None:
    api.send(example(STAY[0]))

    (plan,) = intake_plans.of("FROM received_messages")
    searches = [step for step in plan if step.startswith("SEARCH received_messages")]
    # Asked as `sender AND (header OR bundle)`, SQLite searched on the sender alone: every
    # message the hospital ever sent was read for each new one.
    assert len(searches) == 2
    assert any("header_id=?" in step for step in searches)
    assert any("bundle_id=?" in step for step in searches)


def test_retention_asks_the_inbox_through_its_index(api: Api, settings: Settings) -> None:
    for name in STAY:
        api.send(example(name))
    engine = create_db_engine(settings.database_url)
    plans = watched(engine)
    try:
        run_retention(
            sessions=session_factory(engine),
            settings=settings,
            now=datetime.now(UTC) + timedelta(days=3650),
        )
    finally:
        engine.dispose()

    correlated = [
        plan[plan.index(step) + 1]
        for plan in plans.by_statement.values()
        for step in plan
        if step.startswith("CORRELATED")
    ]
    assert correlated, "retention ran no correlated lookup"
    assert all(step.startswith("SEARCH") for step in correlated), correlated
