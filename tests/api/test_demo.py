"""The demo's coordinators: `overgang demo` (what `make run` starts) registers one for Aalborg
Kommune and one for the region, with fresh one-time secrets on each run, and says on stderr how
to sign in; a coordinator signs in and sees the region's transitions."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from overgang.api.app import create_app
from overgang.config import Settings
from overgang.service import partners
from overgang.storage.db import create_db_engine, session_factory
from tests.board import PASSWORD, Browser, csrf_of
from tests.faults.processes import START_TIMEOUT, Processes, listening_port

AALBORG, REGION = (email for email, _, _ in partners.DEMO_COORDINATORS)


@pytest.fixture
def site(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def set_up_demo(database_url: str) -> dict[str, str]:
    engine = create_db_engine(database_url)
    try:
        tokens = partners.setup_demo_partners(
            sessions=session_factory(engine), now=datetime.now(UTC)
        )
    finally:
        engine.dispose()
    return dict(tokens.coordinators)


def test_each_demo_run_gives_the_coordinators_fresh_one_time_secrets(
    site: TestClient, database_url: str
) -> None:
    first = set_up_demo(database_url)
    second = set_up_demo(database_url)

    assert set(first) == set(second) == {AALBORG, REGION}
    assert not set(first.values()) & set(second.values())
    stale = Browser(TestClient(site.app, base_url="https://testserver"))
    assert stale.sign_in(AALBORG, first[AALBORG]).status_code == 401
    for email, greeting in ((AALBORG, "Aalborg Kommune"), (REGION, "Region Nordjylland")):
        person = Browser(TestClient(site.app, base_url="https://testserver"))
        person.signed_in(email, second[email])
        assert greeting in person.get("/board").text


class PlainHttpBrowser:
    """The demo on http://127.0.0.1 with its Secure cookies carried by hand, as a browser on
    localhost keeps them."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        answer = self.client.request(method, path, headers={"Cookie": cookie}, **kwargs)
        for header in answer.headers.get_list("set-cookie"):
            name, value = header.split(";")[0].split("=", 1)
            self.cookies[name] = value
        return answer


def test_a_coordinator_signs_in_to_the_demo_and_sees_the_region_s_transitions(
    tmp_path: Path,
) -> None:
    """The demo as `make run` starts it (SQLite, its own database), signed in over real HTTP."""
    env = {**os.environ, "OVERGANG_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    tokens_file = tmp_path / "demo-tokens.env"
    with Processes(log_dir=tmp_path) as processes:
        demo = processes.start("demo", "--port", "0", "--tokens-file", str(tokens_file), env=env)
        demo.wait_for(lambda: "Stop with Ctrl-C." in demo.log(), "demo banner", START_TIMEOUT)
        demo.wait_for(lambda: listening_port(demo.pid) is not None, "port", START_TIMEOUT)
        banner = demo.log()
        secret = re.search(rf"^  {re.escape(REGION)}  (\S+)$", banner, re.MULTILINE)
        assert "/login" in banner and secret is not None, banner
        browser = PlainHttpBrowser(f"http://127.0.0.1:{listening_port(demo.pid)}")

        form = browser.request("GET", "/login")
        signed_in = browser.request(
            "POST",
            "/login",
            data={"email": REGION, "secret": secret.group(1), "csrf_token": csrf_of(form.text)},
        )
        chooser = browser.request("GET", "/login/adgangskode")
        chosen = browser.request(
            "POST",
            "/login/adgangskode",
            data={"password": PASSWORD, "repeated": PASSWORD, "csrf_token": csrf_of(chooser.text)},
        )
        board = browser.request("GET", "/board")

    assert signed_in.headers["location"] == "/login/adgangskode"
    assert chosen.headers["location"] == "/board"
    assert (
        board.status_code == 200 and "Demokoordinator Nordjylland, Region Nordjylland" in board.text
    )
    assert "/board/ophold/" in board.text  # the simulated weeks' admitted citizens
    assert tokens_file.exists()
