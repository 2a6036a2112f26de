"""`overgang` as an operator runs it: the CLI sets up partners, `serve` answers real HTTP,
writes JSON logs without personal data, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.faults.processes import OVERGANG, START_TIMEOUT, Processes
from tests.messages import (
    AALBORG_GLN,
    AALBORG_SOR,
    HOSPITAL_GLN,
    HOSPITAL_SOR,
    TEST_CPR,
    example,
    with_fresh_ids,
)

# Generous: a test on a loaded machine waits, it does not fail.
REQUEST_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


def run_cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [OVERGANG, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass(frozen=True)
class Deployment:
    """A SQLite database with the ward and Aalborg, set up through the CLI, and their tokens."""

    database: Path
    hospital: str
    aalborg: str


def set_up_with_the_cli(database: Path) -> Deployment:
    env = {**os.environ, "OVERGANG_DATABASE_URL": f"sqlite:///{database}"}
    run_cli("db", "upgrade", env=env)
    run_cli(
        "org",
        "add-hospital",
        "--sor",
        HOSPITAL_SOR,
        "--gln",
        HOSPITAL_GLN,
        "--name",
        "Psyk S4",
        env=env,
    )
    run_cli(
        "org",
        "add-municipality",
        "--code",
        "851",
        "--sor",
        AALBORG_SOR,
        "--gln",
        AALBORG_GLN,
        env=env,
    )
    hospital = run_cli(
        "client", "create", "--org", HOSPITAL_SOR, "--name", "EPJ", env=env
    ).splitlines()[-1]
    aalborg = run_cli("client", "create", "--org", "0851", "--name", "EOJ", env=env).splitlines()[
        -1
    ]
    return Deployment(database, hospital, aalborg)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """Set up once per module: six CLI starts cost several seconds. Tests get a copy each."""
    return set_up_with_the_cli(tmp_path_factory.mktemp("deployed") / "overgang.db")


def deploy(deployed: Deployment, tmp_path: Path) -> tuple[dict[str, str], str, str]:
    """A copy of the deployed database of this test's own: (environment, the two tokens)."""
    copy = tmp_path / "overgang.db"
    with (
        closing(sqlite3.connect(deployed.database)) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    env = {**os.environ, "OVERGANG_DATABASE_URL": f"sqlite:///{copy}"}
    return env, deployed.hospital, deployed.aalborg


def test_serve_takes_a_message_and_stops_cleanly_on_sigterm(
    deployed: Deployment, tmp_path: Path
) -> None:
    env, hospital, aalborg = deploy(deployed, tmp_path)
    with Processes(log_dir=tmp_path) as processes:
        server = processes.serve(env)
        sent = httpx.post(
            f"{server.base_url}/fhir/$process-message",
            content=json.dumps(example("01-admission-STIN.json")),
            headers={
                "Authorization": f"Bearer {hospital}",
                "Content-Type": "application/fhir+json",
            },
            timeout=REQUEST_TIMEOUT,
        )
        inbox = httpx.get(
            f"{server.base_url}/api/v1/inbox",
            headers={"Authorization": f"Bearer {aalborg}"},
            timeout=REQUEST_TIMEOUT,
        )
        exit_code = server.stop(timeout=STOP_TIMEOUT)
        log = server.log()

    assert sent.status_code == 200
    assert sent.headers["x-request-id"]
    assert [item["notification_code"] for item in inbox.json()["items"]] == ["STIN"]
    assert exit_code == 0
    assert "Application shutdown complete" in log
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    requests = [line for line in lines if line.get("message") == "request"]
    assert {line["route"] for line in requests} >= {"/fhir/$process-message", "/api/v1/inbox"}
    assert all(line["request_id"] for line in requests)
    assert TEST_CPR not in log
    assert "Elmer" not in log


def test_serve_with_two_processes_shares_one_sqlite_database(
    deployed: Deployment, tmp_path: Path
) -> None:
    env, hospital, aalborg = deploy(deployed, tmp_path)
    stays = [with_fresh_ids(example("01-admission-STIN.json")) for _ in range(12)]
    headers = {"Authorization": f"Bearer {hospital}", "Content-Type": "application/fhir+json"}
    with Processes(log_dir=tmp_path) as processes:
        server = processes.serve(env, processes=2)  # once both processes have started
        with ThreadPoolExecutor(max_workers=6) as pool:
            # A new connection for each: uvicorn hands connections, not requests, to processes.
            answers = list(
                pool.map(
                    lambda stay: httpx.post(
                        f"{server.base_url}/fhir/$process-message",
                        content=json.dumps(stay),
                        headers=headers,
                        timeout=REQUEST_TIMEOUT,
                    ),
                    stays,
                )
            )
        inbox = httpx.get(
            f"{server.base_url}/api/v1/inbox",
            headers={"Authorization": f"Bearer {aalborg}"},
            timeout=REQUEST_TIMEOUT,
        ).json()
        exit_code = server.stop(timeout=STOP_TIMEOUT)
        log = server.log()

    assert [answer.status_code for answer in answers] == [200] * len(stays)
    assert [item["sequence"] for item in inbox["items"]] == list(range(1, len(stays) + 1))
    assert exit_code == 0
    assert log.count("Application startup complete") == 2  # neither was restarted
    assert "database is locked" not in log


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"]])
def test_a_bad_retry_schedule_stops_serve_and_worker_at_once_naming_the_variable(
    tmp_path: Path, command: list[str]
) -> None:
    env = {
        **os.environ,
        "OVERGANG_DATABASE_URL": f"sqlite:///{tmp_path / 'overgang.db'}",
        "OVERGANG_WEBHOOK_RETRY_SCHEDULE": "5,soon,60",
    }
    with Processes(log_dir=tmp_path) as processes:
        process = processes.start(*command, env=env)
        exit_code = process.wait(timeout=START_TIMEOUT)  # without the check: runs on, fails
        log = process.log()

    assert exit_code == 1
    assert log.strip() == (
        "error: OVERGANG_WEBHOOK_RETRY_SCHEDULE: the webhook retry schedule entry 'soon' "
        "at position 2 is not a number"
    )
