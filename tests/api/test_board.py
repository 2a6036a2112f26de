"""The transition board through HTTP, as a browser uses it: sign-in with the one-time secret,
the password, sessions, CSRF, lockout, and each person seeing only their organisation's
citizens (profile §9), every view audited."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from overgang.api.app import create_app
from overgang.cli import app as cli
from overgang.config import Settings
from overgang.storage.db import create_db_engine
from overgang.storage.models import Person
from tests.api.test_audit_trail import trail  # noqa: F401 - a fixture
from tests.api.test_episode_chain import put_in_region
from tests.board import PASSWORD, Browser, add_person, admit
from tests.conftest import Api, Partners
from tests.messages import HOSPITAL_SOR, MEDCOM_SENDER_SOR
from tests.stays import Citizen

ANNE = "anne@aalborg.dk"
Trail = Callable[[], tuple[list[dict[str, str]], str]]


@pytest.fixture
def site(settings: Settings, tokens: Partners) -> Iterator[Api]:
    """The app on https (the board's cookies are Secure), used by the partners' systems."""
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield Api(client, tokens)


def browser(site: Api) -> Browser:
    """A browser of its own: its own cookies."""
    return Browser(TestClient(site.client.app, base_url="https://testserver"))


def anne(site: Api, database_url: str) -> Browser:
    """Aalborg's coordinator, signed in with a password chosen."""
    person = browser(site)
    person.signed_in(ANNE, add_person(database_url, email=ANNE, org="0851"))
    return person


def test_a_coordinator_signs_in_chooses_a_password_and_sees_her_citizens_admitted_now(
    site: Api, database_url: str
) -> None:
    admit(site)
    admit(site, citizen=Citizen("0202804321", "Test", "Borger"), discharged=True)
    secret = add_person(database_url, email=ANNE, org="0851", name="Anne Holm")
    person = browser(site)

    first = person.sign_in("Anne@Aalborg.dk ", secret)
    assert first.status_code == 303 and first.headers["location"] == "/login/adgangskode"
    assert person.get("/board").headers["location"] == "/login/adgangskode"
    assert person.choose_password().headers["location"] == "/board"
    page = person.get("/board")

    assert page.status_code == 200
    assert "Anne Holm, Aalborg Kommune" in page.text
    assert "010190-4321" in page.text  # admitted, linked to the stay
    assert "020280-4321" not in page.text  # discharged: not admitted now
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_opening_a_stay_shows_timeline_checklist_and_what_the_municipality_did(
    site: Api, database_url: str
) -> None:
    admit(site)
    person = anne(site, database_url)
    board = person.get("/board").text
    link = board[board.index("/board/ophold/") :].split('"')[0]

    page = person.get(link)

    assert page.status_code == 200
    for shown in ("Indlagt", "Udskrivningsplan", "Tjekliste", "Klar fra", "Sendt til kommunen"):
        assert shown in page.text


def test_the_one_time_secret_works_once_then_only_the_password(
    site: Api, database_url: str
) -> None:
    secret = add_person(database_url, email=ANNE, org="0851")
    browser(site).signed_in(ANNE, secret)

    assert browser(site).sign_in(ANNE, secret).status_code == 401
    assert browser(site).sign_in(ANNE, PASSWORD).headers["location"] == "/board"


def test_a_password_too_short_or_not_repeated_is_refused_and_explained(
    site: Api, database_url: str
) -> None:
    person = browser(site)
    person.sign_in(ANNE, add_person(database_url, email=ANNE, org="0851"))

    short = person.choose_password("kort")
    different = person.choose_password(PASSWORD, PASSWORD + "x")

    assert short.status_code == 422 and "mindst 12 tegn" in short.text
    assert different.status_code == 422 and "ikke ens" in different.text
    assert person.get("/board").headers["location"] == "/login/adgangskode"


def test_without_a_session_every_page_leads_to_sign_in(site: Api) -> None:
    person = browser(site)
    for path in ("/board", "/board/ophold/9bf91057-1385-5d72-be8c-50435d0b272e"):
        answer = person.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_session_cookie_is_secure_httponly_and_samesite(site: Api, database_url: str) -> None:
    person = browser(site)
    answer = person.sign_in(ANNE, add_person(database_url, email=ANNE, org="0851"))

    cookie = next(
        value
        for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith("__Host-overgang-session=")
    )
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie


def test_another_municipalitys_coordinator_cannot_open_a_stay_by_its_link(
    site: Api,
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    admit(site)
    link = anne(site, database_url).get("/board").text
    link = link[link.index("/board/ophold/") :].split('"')[0]
    copenhagen = browser(site)
    copenhagen.signed_in("bo@kk.dk", add_person(database_url, email="bo@kk.dk", org="0101"))

    answer = copenhagen.get(link)
    board = copenhagen.get("/board").text

    assert answer.status_code == 404
    assert "010190-4321" not in answer.text and "010190-4321" not in board
    rows, _ = trail()
    refused = [row for row in rows if row["client"] == "bo@kk.dk" and row["action"] == "board.stay"]
    assert [(row["outcome"], row["episodes"]) for row in refused] == [("not-found", "-")]


def test_a_hospital_coordinator_sees_the_stays_its_owner_owns_and_no_others(
    site: Api, database_url: str
) -> None:
    admit(site)
    ward = browser(site)
    ward.signed_in("ward@psyk.dk", add_person(database_url, email="ward@psyk.dk", org=HOSPITAL_SOR))
    other = browser(site)
    other.signed_in(
        "h@herlev.dk", add_person(database_url, email="h@herlev.dk", org=MEDCOM_SENDER_SOR)
    )

    assert "010190-4321" in ward.get("/board").text
    assert "010190-4321" not in other.get("/board").text


def test_a_region_coordinator_sees_its_hospitals_stays(site: Api, database_url: str) -> None:
    put_in_region(database_url, "DK-81", HOSPITAL_SOR)
    admit(site)
    region = browser(site)
    region.signed_in("r@rn.dk", add_person(database_url, email="r@rn.dk", org="DK-81"))
    elsewhere = browser(site)
    elsewhere.signed_in("r@rh.dk", add_person(database_url, email="r@rh.dk", org="DK-84"))

    assert "010190-4321" in region.get("/board").text
    assert "010190-4321" not in elsewhere.get("/board").text


def test_every_view_of_citizens_is_audited_with_the_person(
    site: Api,
    database_url: str,
    trail: Trail,  # noqa: F811
) -> None:
    stay = admit(site)
    person = anne(site, database_url)
    board = person.get("/board").text
    person.get(board[board.index("/board/ophold/") :].split('"')[0])

    rows, output = trail()
    viewed = [row for row in rows if row["client"] == ANNE and row["action"].startswith("board.")]
    assert [(row["action"], row["organisation"], row["outcome"]) for row in viewed] == [
        ("board.admitted-now", "0851", "allowed"),
        ("board.stay", "0851", "allowed"),
    ]
    assert all(row["episodes"] == stay.episode for row in viewed)
    assert "0101904321" not in output


def test_signing_out_ends_the_session_for_good(site: Api, database_url: str) -> None:
    person = anne(site, database_url)
    cookie = person.client.cookies.get("__Host-overgang-session")

    answer = person.sign_out()
    again = browser(site)
    again.client.cookies.set("__Host-overgang-session", cookie or "", domain="testserver.local")

    assert answer.status_code == 200 and "logget ud" in answer.text
    assert person.get("/board").headers["location"] == "/login"
    assert again.get("/board").headers["location"] == "/login"


def test_a_form_without_its_csrf_token_is_refused_and_does_nothing(
    site: Api, database_url: str
) -> None:
    secret = add_person(database_url, email=ANNE, org="0851")
    person = browser(site)
    person.client.get("/login")

    forged_login = person.client.post(
        "/login", data={"email": ANNE, "secret": secret}, follow_redirects=False
    )
    person.signed_in(ANNE, secret)
    forged_sign_out = person.client.post(
        "/board/log-ud", data={"csrf_token": "x" * 64}, follow_redirects=False
    )

    assert forged_login.status_code == 403 and "Intet er gemt" in forged_login.text
    assert forged_sign_out.status_code == 403
    assert person.get("/board").status_code == 200  # still signed in


def test_five_wrong_passwords_lock_the_person_for_a_quarter_of_an_hour(
    site: Api, database_url: str
) -> None:
    person = browser(site)
    person.signed_in(ANNE, add_person(database_url, email=ANNE, org="0851"))
    guesser = browser(site)

    wrong = [guesser.sign_in(ANNE, f"forkert {n}").status_code for n in range(5)]
    locked = guesser.sign_in(ANNE, PASSWORD)
    _lock_ends(database_url)
    after = guesser.sign_in(ANNE, PASSWORD)

    assert wrong == [401] * 5
    assert locked.status_code == 401 and "spærret" in locked.text
    assert after.headers["location"] == "/board"


def _lock_ends(database_url: str) -> None:
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Person).values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    engine.dispose()


def test_an_unknown_email_is_answered_as_a_wrong_password(site: Api) -> None:
    answer = browser(site).sign_in("nobody@example.dk", "whatever it is")

    assert answer.status_code == 401 and "E-mailadressen eller koden er forkert" in answer.text


def test_the_board_needs_no_bearer_token_but_the_api_still_does(site: Api) -> None:
    person = browser(site)

    assert person.get("/login").status_code == 200
    assert person.get("/board/static/dkfds/css/dkfds.min.css").status_code == 200
    assert person.get("/boards").status_code == 401
    assert person.get("/api/v1/inbox").status_code == 401
    paths = site.client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(("/board", "/login"))]


def test_user_add_prints_the_one_time_secret_alone_on_the_last_line(
    site: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    runner = CliRunner()

    added = runner.invoke(
        cli,
        [
            "user",
            "add",
            "--email",
            ANNE,
            "--name",
            "Anne",
            "--org",
            "0851",
            "--role",
            "coordinator",
        ],
    )
    again = runner.invoke(cli, ["user", "add", "--email", ANNE, "--name", "A", "--org", "0851"])
    unknown = runner.invoke(
        cli, ["user", "add", "--email", "x@y.dk", "--name", "X", "--org", "9999"]
    )

    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    assert " " not in secret and len(secret) >= 24
    assert browser(site).sign_in(ANNE, secret).headers["location"] == "/login/adgangskode"
    assert again.exit_code == 1 and "already registered" in again.stderr
    assert unknown.exit_code == 1
