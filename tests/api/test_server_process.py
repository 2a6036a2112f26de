"""`overgang` as an operator runs it: the CLI sets up partners, `serve` answers real HTTP,
writes JSON logs without personal data, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.messages import (
    AALBORG_GLN,
    AALBORG_SOR,
    HOSPITAL_GLN,
    HOSPITAL_SOR,
    TEST_CPR,
    example,
    with_fresh_ids,
)

OVERGANG = str(Path(sys.executable).parent / "overgang")


def run_cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [OVERGANG, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def deploy(tmp_path: Path) -> tuple[dict[str, str], str, str]:
    """A fresh SQLite database with the ward and Aalborg: (environment, their two tokens)."""
    env = {**os.environ, "OVERGANG_DATABASE_URL": f"sqlite:///{tmp_path / 'overgang.db'}"}
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
    return env, hospital, aalborg


def start(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], str]:
    """`overgang serve` on a free port, once it answers /readyz."""
    port = free_port()
    server = subprocess.Popen(
        [OVERGANG, "serve", "--port", str(port), *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    return server, base


def test_serve_takes_a_message_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env, hospital, aalborg = deploy(tmp_path)
    server, base = start(env)
    try:
        sent = httpx.post(
            f"{base}/fhir/$process-message",
            content=json.dumps(example("01-admission-STIN.json")),
            headers={
                "Authorization": f"Bearer {hospital}",
                "Content-Type": "application/fhir+json",
            },
        )
        inbox = httpx.get(f"{base}/api/v1/inbox", headers={"Authorization": f"Bearer {aalborg}"})

        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
    log = server.stderr.read() if server.stderr else ""

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


def test_serve_with_two_processes_shares_one_sqlite_database(tmp_path: Path) -> None:
    env, hospital, aalborg = deploy(tmp_path)
    server, base = start(env, "--workers", "2")
    stays = [with_fresh_ids(example("01-admission-STIN.json")) for _ in range(12)]
    headers = {"Authorization": f"Bearer {hospital}", "Content-Type": "application/fhir+json"}
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            # A new connection for each: uvicorn hands connections, not requests, to processes.
            answers = list(
                pool.map(
                    lambda stay: httpx.post(
                        f"{base}/fhir/$process-message", content=json.dumps(stay), headers=headers
                    ),
                    stays,
                )
            )
        inbox = httpx.get(
            f"{base}/api/v1/inbox", headers={"Authorization": f"Bearer {aalborg}"}
        ).json()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    log = server.stderr.read() if server.stderr else ""

    assert [answer.status_code for answer in answers] == [200] * len(stays)
    assert [item["sequence"] for item in inbox["items"]] == list(range(1, len(stays) + 1))
    assert log.count("Application startup complete") == 2
    assert "database is locked" not in log
