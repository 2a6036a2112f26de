"""The operator's people commands (`overgang user list|reset|disable|enable`), run as the operator
runs them, with their effect seen through the board's sign-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from overgang.api.app import create_app
from overgang.cli import app as cli
from overgang.config import Settings
from tests.board import PASSWORD, Browser, add_person
from tests.conftest import Partners

ANNE, BO, CARL, DITTE = "anne@aalborg.dk", "bo@aalborg.dk", "carl@rn.dk", "ditte@aalborg.dk"


@pytest.fixture
def site(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The board on https, and the CLI pointed at the same database."""
    monkeypatch.setenv("OVERGANG_DATABASE_URL", settings.database_url)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def browser(site: TestClient) -> Browser:
    return Browser(TestClient(site.app, base_url="https://testserver"))


def user(*arguments: str) -> Result:
    return CliRunner().invoke(cli, ["user", *arguments])


def test_user_list_shows_each_person_s_state_and_last_sign_in_and_no_secret(
    site: TestClient, database_url: str, tokens: Partners
) -> None:
    secrets = [
        add_person(database_url, email=ANNE, org="0851", name="Anne Holm"),
        add_person(database_url, email=BO, org="0851", name="Bo Berg"),
        add_person(database_url, email=CARL, org="DK-81", name="Carl Dam"),
        add_person(database_url, email=DITTE, org="0851", name="Ditte Ø"),
    ]
    browser(site).signed_in(ANNE, secrets[0])
    for _ in range(5):
        browser(site).sign_in(BO, "wrong guess")
    assert user("disable", "--email", DITTE).exit_code == 0

    listed = user("list")

    assert listed.exit_code == 0, listed.output
    header, *lines = listed.stdout.strip().splitlines()
    assert header == "email\tname\torganisation\trole\tstate\tlast_sign_in"
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert rows[ANNE][1:5] == ["Anne Holm", "Aalborg Kommune", "coordinator", "active"]
    assert rows[ANNE][5].startswith("20")  # an ISO time
    assert rows[BO][4:] == ["locked", "-"]
    assert rows[CARL][2:] == ["DK-81", "coordinator", "invited", "-"]
    assert rows[DITTE][4] == "disabled"
    assert not [secret for secret in secrets if secret in listed.output]
    assert "argon2" not in listed.output


def test_user_reset_ends_the_sessions_and_gives_a_new_one_time_secret(
    site: TestClient, database_url: str, tokens: Partners
) -> None:
    anne = browser(site)
    anne.signed_in(ANNE, add_person(database_url, email=ANNE, org="0851"))

    reset = user("reset", "--email", "Anne@Aalborg.dk")
    secret = reset.stdout.strip().splitlines()[-1]

    assert reset.exit_code == 0, reset.output
    assert " " not in secret and len(secret) >= 24
    assert anne.get("/board").headers["location"] == "/login"  # her session ended
    assert browser(site).sign_in(ANNE, PASSWORD).status_code == 401  # the password is gone
    again = browser(site)
    assert again.sign_in(ANNE, secret).headers["location"] == "/login/adgangskode"


def test_user_disable_ends_the_sessions_at_once_and_enable_lets_the_person_back(
    site: TestClient, database_url: str, tokens: Partners
) -> None:
    anne = browser(site)
    anne.signed_in(ANNE, add_person(database_url, email=ANNE, org="0851"))

    disabled = user("disable", "--email", ANNE)
    refused = browser(site).sign_in(ANNE, PASSWORD)
    enabled = user("enable", "--email", ANNE)
    back = browser(site).sign_in(ANNE, PASSWORD)

    assert disabled.exit_code == 0 and enabled.exit_code == 0
    assert anne.get("/board").headers["location"] == "/login"
    assert refused.status_code == 401
    assert back.status_code == 303 and back.headers["location"] == "/board"


@pytest.mark.parametrize("command", ["reset", "disable", "enable"])
def test_a_command_for_someone_not_registered_fails_on_stderr(
    site: TestClient, command: str
) -> None:
    unknown = user(command, "--email", "nobody@aalborg.dk")
    malformed = user(command, "--email", "not an address")

    assert unknown.exit_code == 1 and "no person with e-mail nobody@aalborg.dk" in unknown.stderr
    assert malformed.exit_code == 1 and "is not an e-mail address" in malformed.stderr
    assert unknown.stdout == "" and malformed.stdout == ""
