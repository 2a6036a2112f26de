"""Single sign-on to the board against a real OpenID Connect provider on loopback
(tests/oidc_provider.py): only a person the operator registered gets in, every check of the
provider's answer holds, the binding to the provider's subject outlives an e-mail change, and
every attempt is audited."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from overgang.api.app import create_app
from overgang.config import Settings
from overgang.service import people
from overgang.storage.db import create_db_engine, session_factory, transaction
from overgang.storage.models import Person, PersonSession
from tests.api.test_audit_trail import trail  # noqa: F401 - a fixture
from tests.board import Browser, add_person, admit
from tests.conftest import Api, Partners
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider, serve_provider

ANNE = "anne@aalborg.dk"
Trail = Callable[[], tuple[list[dict[str, str]], str]]


@pytest.fixture
def provider() -> Iterator[TestProvider]:
    with serve_provider() as served:
        yield served


@pytest.fixture
def site(settings: Settings, tokens: Partners, provider: TestProvider) -> Iterator[Api]:
    """The app on https with the test provider configured for single sign-on."""
    configured = settings.model_copy(
        update={
            "sso_discovery_url": f"{provider.issuer}/.well-known/openid-configuration",
            "sso_client_id": CLIENT_ID,
            "sso_client_secret": SecretStr(CLIENT_SECRET),
            "sso_button_label": "Log ind med Region Nordjylland",
        }
    )
    with TestClient(create_app(configured), base_url="https://testserver") as client:
        yield Api(client, tokens)


def browser(site: Api) -> Browser:
    return Browser(TestClient(site.client.app, base_url="https://testserver"))


def through_provider(person: Browser) -> str:
    """Click the button and let the provider send the browser back: the callback's URL."""
    start = person.get("/login/sso")
    assert start.status_code in (302, 303), start.text
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["location"]
    assert location.startswith("https://testserver/login/sso/callback?")
    return location


def sso_sign_in(person: Browser) -> Any:
    return person.get(through_provider(person))


def sessions_of(database_url: str) -> int:
    engine = create_db_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            return len(list(session.scalars(select(PersonSession))))
    finally:
        engine.dispose()


def bound_subject(database_url: str, email: str) -> tuple[str | None, str | None]:
    engine = create_db_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            person = session.scalars(select(Person).where(Person.email == email)).one()
            return person.sso_issuer, person.sso_subject
    finally:
        engine.dispose()


def test_a_registered_coordinator_signs_in_by_sso_and_sees_her_board(
    site: Api,
    database_url: str,
    provider: TestProvider,
    trail: Trail,  # noqa: F811
) -> None:
    admit(site)
    add_person(database_url, email=ANNE, org="0851", name="Anne Holm")
    provider.sign_in_as(sub="anne-at-idp", email="Anne@Aalborg.dk")
    person = browser(site)

    login = person.get("/login")
    answer = sso_sign_in(person)
    board = person.get("/board")

    assert 'href="/login/sso"' in login.text and "Log ind med Region Nordjylland" in login.text
    assert answer.status_code == 303 and answer.headers["location"] == "/board"
    cookie = answer.headers["set-cookie"]
    assert "__Host-overgang-session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "__Host-overgang-sso=" in cookie  # the exchange's state, deleted
    assert board.status_code == 200 and "Anne Holm, Aalborg Kommune" in board.text
    assert "010190-4321" in board.text  # no password asked for: straight to her citizens
    assert bound_subject(database_url, ANNE) == (provider.issuer, "anne-at-idp")
    rows, output = trail()
    assert [row["outcome"] for row in rows if row["action"] == "sign-in.sso"] == ["allowed"]
    assert "anne-at-idp" not in output


def test_an_unknown_person_is_refused_and_nothing_is_stored(
    site: Api,
    database_url: str,
    provider: TestProvider,
    trail: Trail,  # noqa: F811
) -> None:
    provider.sign_in_as(sub="stranger", email="stranger@aalborg.dk")
    person = browser(site)

    answer = sso_sign_in(person)

    assert answer.status_code == 403
    assert "Du er ikke oprettet som bruger af Overgang" in answer.text
    assert person.get("/board").headers["location"] == "/login"
    assert sessions_of(database_url) == 0
    rows, output = trail()
    [row] = [row for row in rows if row["action"] == "sign-in.sso"]
    assert row["outcome"] == "refused" and row["resource"] == "sign-in:unknown-person"
    assert "stranger" not in output


def test_an_unverified_email_finds_no_one_unless_the_provider_is_trusted(
    site: Api, settings: Settings, tokens: Partners, database_url: str, provider: TestProvider
) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE, email_verified=False)

    refused = sso_sign_in(browser(site))
    site.client.app.state.settings = site.client.app.state.settings.model_copy(
        update={"sso_trust_email": True}
    )
    trusted = sso_sign_in(browser(site))

    assert refused.status_code == 403 and "ikke bekræftet din e-mailadresse" in refused.text
    assert trusted.status_code == 303 and trusted.headers["location"] == "/board"


def test_a_disabled_person_is_refused_by_sso_too(
    site: Api, database_url: str, provider: TestProvider
) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    first = browser(site)
    assert sso_sign_in(first).status_code == 303
    engine = create_db_engine(database_url)
    people.set_disabled(
        sessions=session_factory(engine), email=ANNE, disabled=True, now=datetime.now(UTC)
    )
    engine.dispose()

    again = sso_sign_in(browser(site))

    assert first.get("/board").headers["location"] == "/login"  # her session ended at once
    assert again.status_code == 403 and "Din konto er lukket" in again.text


@pytest.mark.parametrize(
    ("misbehaviour", "claims"),
    [
        ("wrong nonce", {"nonce": "not-the-one-sent"}),
        ("no nonce", {"nonce": None}),
        ("wrong audience", {"aud": "another-client"}),
        ("wrong audience, our azp", {"aud": ["another-client"], "azp": CLIENT_ID}),
        ("wrong issuer", {"iss": "https://idp.example.org"}),
        ("expired", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}),
        ("no subject", {"sub": None}),
    ],
)
def test_an_id_token_failing_a_check_is_refused(
    site: Api,
    database_url: str,
    provider: TestProvider,
    misbehaviour: str,
    claims: dict[str, Any],
    trail: Trail,  # noqa: F811
) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    provider.claims.update(claims)

    answer = sso_sign_in(browser(site))

    assert provider.tokens_issued == 1, misbehaviour  # refused after the exchange, not before
    assert answer.status_code == 403, misbehaviour
    assert "Svaret fra log ind-tjenesten kunne ikke godkendes" in answer.text
    assert sessions_of(database_url) == 0
    assert bound_subject(database_url, ANNE) == (None, None)
    rows, _ = trail()
    assert [row["resource"] for row in rows if row["action"] == "sign-in.sso"] == [
        "sign-in:token-refused"
    ]


def test_a_token_signed_with_another_key_is_refused(
    site: Api, database_url: str, provider: TestProvider
) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    provider.forge_signatures()

    answer = sso_sign_in(browser(site))

    assert answer.status_code == 403 and "kunne ikke godkendes" in answer.text
    assert sessions_of(database_url) == 0


def test_a_forged_state_is_refused(site: Api, database_url: str, provider: TestProvider) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    person = browser(site)
    callback = through_provider(person)
    code = callback.split("code=")[1].split("&")[0]

    forged = person.get(f"/login/sso/callback?code={code}&state=made-up")
    elsewhere = browser(site).get(callback)  # another browser: without the exchange's cookie

    assert forged.status_code == 403 and elsewhere.status_code == 403
    assert provider.tokens_issued == 0  # no code was exchanged on a state we did not send
    assert sessions_of(database_url) == 0


def test_a_replayed_callback_is_refused(
    site: Api, database_url: str, provider: TestProvider
) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    person = browser(site)
    callback = through_provider(person)
    sealed = person.client.cookies.get("__Host-overgang-sso")
    assert sealed and person.get(callback).status_code == 303

    again = person.get(callback)  # the state cookie was deleted
    attacker = browser(site)
    attacker.client.cookies.set("__Host-overgang-sso", sealed)
    stolen = attacker.get(callback)  # with the state cookie kept: the code works once

    assert again.status_code == 403 and stolen.status_code == 403
    assert sessions_of(database_url) == 1


def test_the_binding_to_the_subject_holds_after_the_provider_changes_the_email(
    site: Api, database_url: str, provider: TestProvider
) -> None:
    add_person(database_url, email=ANNE, org="0851", name="Anne Holm")
    add_person(database_url, email="bo@aalborg.dk", org="0851", name="Bo Berg")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    assert sso_sign_in(browser(site)).status_code == 303

    # Anne's address at the provider changes, and hers is given to someone else.
    provider.sign_in_as(sub="anne-at-idp", email="anne.holm@aalborg.dk")
    anne = browser(site)
    renamed = sso_sign_in(anne)
    provider.sign_in_as(sub="new-colleague", email=ANNE)
    newcomer = sso_sign_in(browser(site))
    provider.sign_in_as(sub="anne-at-idp", email="bo@aalborg.dk")
    as_bo = browser(site)
    claimed = sso_sign_in(as_bo)

    assert renamed.status_code == 303 and "Anne Holm" in anne.get("/board").text
    assert newcomer.status_code == 403 and "knyttet til en anden identitet" in newcomer.text
    assert claimed.status_code == 303 and "Anne Holm" in as_bo.get("/board").text
    assert bound_subject(database_url, "bo@aalborg.dk") == (None, None)


def test_after_user_reset_a_new_identity_at_the_provider_binds_anew(
    site: Api, database_url: str, provider: TestProvider
) -> None:
    add_person(database_url, email=ANNE, org="0851")
    provider.sign_in_as(sub="anne-at-idp", email=ANNE)
    assert sso_sign_in(browser(site)).status_code == 303
    provider.sign_in_as(sub="anne-recreated", email=ANNE)
    assert sso_sign_in(browser(site)).status_code == 403

    engine = create_db_engine(database_url)
    people.reset_person(sessions=session_factory(engine), email=ANNE, now=datetime.now(UTC))
    engine.dispose()
    again = sso_sign_in(browser(site))

    assert again.status_code == 303
    assert bound_subject(database_url, ANNE) == (provider.issuer, "anne-recreated")


def test_there_is_no_button_when_sso_is_not_configured(
    settings: Settings, tokens: Partners
) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        login = client.get("/login")
        start = client.get("/login/sso", follow_redirects=False)

    assert login.status_code == 200 and "/login/sso" not in login.text
    assert start.status_code == 404
