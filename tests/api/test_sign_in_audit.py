"""Every sign-in with a password or one-time secret is audited, allowed or refused, with the
reason; the row never holds the e-mail address typed nor the secret."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.test_audit_trail import trail  # noqa: F401 - a fixture
from tests.api.test_board import ANNE, browser, site  # noqa: F401 - site is a fixture
from tests.board import add_person
from tests.conftest import Api

Trail = Callable[[], tuple[list[dict[str, str]], str]]


def sign_ins(read: Trail) -> tuple[list[tuple[str, str]], str]:
    rows, output = read()
    found = [(r["outcome"], r["resource"]) for r in rows if r["action"] == "sign-in.password"]
    return found, output


def test_each_password_sign_in_is_audited_with_its_outcome_and_reason(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    secret = add_person(database_url, email=ANNE, org="0851")

    assert browser(site).sign_in(ANNE, "forkert gæt").status_code == 401
    assert browser(site).sign_in("ukendt@aalborg.dk", "hvad som helst").status_code == 401
    assert browser(site).sign_in(ANNE, secret).status_code == 303

    found, output = sign_ins(trail)
    assert sorted(found) == sorted(
        [
            ("refused", "sign-in:wrong-secret"),
            ("refused", "sign-in:unknown-person"),
            ("allowed", "sign-in:-"),
        ]
    )
    assert "ukendt@aalborg.dk" not in output and secret not in output


def test_guesses_during_a_lockout_are_audited_as_locked(
    site: Api,  # noqa: F811
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    secret = add_person(database_url, email=ANNE, org="0851")
    guesser = browser(site)
    for attempt in range(5):
        guesser.sign_in(ANNE, f"forkert {attempt}")

    assert guesser.sign_in(ANNE, secret).status_code == 401

    found, _ = sign_ins(trail)
    assert found.count(("refused", "sign-in:wrong-secret")) == 5
    assert found.count(("refused", "sign-in:locked")) == 1
