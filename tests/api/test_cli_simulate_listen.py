"""The two commands as an operator and an integrator run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from overgang.cli import app
from overgang.config import Settings
from overgang.simulate.run import local_server
from tests.conftest import Api
from tests.messages import TEST_CPR
from tests.stays import at, stay


def test_listen_once_pulls_acknowledges_and_remembers_where_it_is(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    the_stay = stay(discharge_at=at(2026, 3, 18))
    for message in (the_stay.admission, the_stay.plan, the_stay.discharge, the_stay.handover):
        assert api.send(message).status_code == 200
    state = tmp_path / "listen.json"
    arguments = ["listen", "--municipality", "851", "--pull", "--once", "--state-file", str(state)]

    with local_server(settings) as url:
        environment = {"OVERGANG_TOKEN": api.tokens.aalborg}
        first = CliRunner().invoke(app, [*arguments, "--base-url", url], env=environment)
        again = CliRunner().invoke(app, [*arguments, "--base-url", url], env=environment)

    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["1", "hospital-notification", "STIN"],
        ["2", "discharge-plan", "episode"],
        ["3", "hospital-notification", "SLHJ"],
        ["4", "handover", "episode"],
    ]
    assert TEST_CPR[:6] not in first.output
    assert json.loads(state.read_text()) == {"last_sequence": 4}
    assert again.exit_code == 0 and again.stdout == ""
    assert {i["status"] for i in api.inbox().json()["items"]} == {"acknowledged"}


def test_listen_without_a_token_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVERGANG_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["listen", "--municipality", "0851", "--once"])

    assert result.exit_code == 1
    assert "OVERGANG_TOKEN" in result.output


def test_simulate_registers_a_region_and_writes_its_credentials(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    credentials = tmp_path / "sim.json"
    result = CliRunner().invoke(
        app,
        ["simulate", "--region", "dk-81", "--register-only", "--credentials", str(credentials)],
    )

    assert result.exit_code == 0, result.output
    written = json.loads(credentials.read_text())
    assert written["region"] == "DK-81"
    assert len(written["wards"]) == 6 and len(written["municipalities"]) == 11
    assert credentials.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--region", "DK-99"], "not a Danish region"),
        (["--region", "DK-81", "--end", "2999-01-01"], "future"),
        (["--region", "DK-81", "--base-url", "http://127.0.0.1:9"], "--credentials"),
    ],
)
def test_simulate_refuses_what_it_cannot_do(arguments: list[str], complaint: str) -> None:
    result = CliRunner().invoke(app, ["simulate", *arguments])

    assert result.exit_code == 1
    assert complaint in result.output
