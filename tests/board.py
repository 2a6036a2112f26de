"""The transition board in tests: people registered as the CLI does, stays admitted through the
API, and a browser-like client that signs in with forms and cookies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi.testclient import TestClient
from sqlalchemy import select

from overgang.service import people
from overgang.storage.db import create_db_engine, session_factory
from overgang.storage.models import EpisodeIdentifier
from tests.conftest import Api
from tests.messages import AALBORG_SOR
from tests.stays import EPISODE_SYSTEM, Citizen, Stay, stay

AALBORG_CITIZEN = Citizen("0101904321", "Karen", "Holm")
PASSWORD = "fire ord i en lang sætning"  # a test person's
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_person(database_url: str, *, email: str, org: str, name: str = "Test Person") -> str:
    """Register a person as `overgang user add` does; their one-time secret."""
    engine = create_db_engine(database_url)
    try:
        return people.add_person(
            sessions=session_factory(engine),
            email=email,
            name=name,
            org=org,
            role="coordinator",
            now=datetime.now(UTC),
        ).one_time_secret
    finally:
        engine.dispose()


def admit(api: Api, *, citizen: Citizen = AALBORG_CITIZEN, discharged: bool = False) -> Stay:
    """A stay sent by the example hospital to Aalborg: admitted, with a discharge plan and
    Aalborg's readiness answer; discharged too when asked."""
    now = datetime.now(UTC)
    one = stay(
        discharge_at=now + timedelta(days=-1 if discharged else 5),
        admitted_at=now - timedelta(days=10),
        plan_sent_at=now - timedelta(days=3),
        citizen=citizen,
    )
    assert one.admission is not None and one.plan is not None and one.discharge is not None
    for message in (one.admission, one.plan, *((one.discharge,) if discharged else ())):
        answer = api.send(message)
        assert answer.status_code == 200, answer.text
    answer = api.client.post(
        f"/api/v1/episodes/{one.episode}/readiness",
        json=one.readiness,
        headers=api.auth(api.tokens.aalborg),
    )
    assert answer.status_code == 200, answer.text
    return one


def discharged_earlier(api: Api, *, citizen: Citizen, admitted_at: datetime) -> Stay:
    """An earlier stay sent by the example hospital to Aalborg: admitted at `admitted_at`,
    discharged 5 days later."""
    one = stay(
        discharge_at=admitted_at + timedelta(days=5),
        admitted_at=admitted_at,
        plan_sent_at=admitted_at + timedelta(days=2),
        citizen=citizen,
        readiness="no answer",
    )
    assert one.admission is not None and one.plan is not None and one.discharge is not None
    for message in (one.admission, one.plan, one.discharge):
        answer = api.send(message)
        assert answer.status_code == 200, answer.text
    return one


def stay_id(database_url: str, one: Stay) -> str:
    """The id in the board's link to a stay (`/board/ophold/{id}`) of a stay sent in a test."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                select(EpisodeIdentifier.episode_id).where(EpisodeIdentifier.value == one.episode)
            )
    finally:
        engine.dispose()
    assert found is not None, "no such stay"
    return str(found)


def search(person: Browser, cpr: str) -> Any:
    """Search for a citizen with the board's search form, as a signed-in person."""
    token = csrf_of(person.get("/board/soeg").text)
    return person.client.post(
        "/board/soeg", data={"cpr": cpr, "csrf_token": token}, follow_redirects=False
    )


def plan_sent(
    api: Api,
    *,
    citizen: Citizen,
    discharge_at: datetime,
    readiness: dict[str, Any] | Literal["no answer"] = "no answer",
    plan_sent_at: datetime | None = None,
) -> Stay:
    """A stay admitted 10 days ago whose discharge plan went out 3 days ago (or at
    `plan_sent_at`), for discharge at `discharge_at`, not discharged; the municipality's answer
    when one is given."""
    now = datetime.now(UTC)
    one = stay(
        discharge_at=discharge_at,
        admitted_at=now - timedelta(days=10),
        plan_sent_at=plan_sent_at or now - timedelta(days=3),
        citizen=citizen,
        readiness=readiness,
    )
    assert one.admission is not None and one.plan is not None
    for message in (one.admission, one.plan):
        answer = api.send(message)
        assert answer.status_code == 200, answer.text
    if one.readiness is not None:
        answer = api.client.post(
            f"/api/v1/episodes/{one.episode}/readiness",
            json=one.readiness,
            headers=api.auth(api.tokens.aalborg),
        )
        assert answer.status_code == 200, answer.text
    return one


def start_leave(api: Api, one: Stay, *, citizen: Citizen) -> None:
    """The citizen goes on leave (STOR), sent as the JSON event a ward may send instead."""
    now = datetime.now(UTC)
    answer = api.client.post(
        "/api/v1/events",
        json={
            "event_id": f"leave-{one.episode[:8]}",
            "type": "leave-start",
            "timestamp": now.isoformat(),
            "receiver": {"sor": AALBORG_SOR},
            "cpr": citizen.cpr,
            "episode_identifiers": [{"system": EPISODE_SYSTEM, "value": one.episode}],
            "encounter": {
                "class": "IMP",
                "start": (now - timedelta(days=10)).isoformat(),
                "leave_start": (now - timedelta(hours=1)).isoformat(),
            },
        },
        headers=api.auth(api.tokens.hospital),
    )
    assert answer.status_code == 200, answer.text


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """Forms and cookies over a TestClient on https (the cookies are Secure)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(path, headers=headers, follow_redirects=False)

    def sign_in(self, email: str, secret: str) -> Any:
        token = csrf_of(self.client.get("/login").text)
        return self.client.post(
            "/login",
            data={"email": email, "secret": secret, "csrf_token": token},
            follow_redirects=False,
        )

    def choose_password(self, password: str = PASSWORD, repeated: str | None = None) -> Any:
        token = csrf_of(self.client.get("/login/adgangskode").text)
        return self.client.post(
            "/login/adgangskode",
            data={"password": password, "repeated": repeated or password, "csrf_token": token},
            follow_redirects=False,
        )

    def signed_in(self, email: str, secret: str) -> None:
        """Sign in with the one-time secret and choose the password: on the board."""
        assert self.sign_in(email, secret).headers["location"] == "/login/adgangskode"
        assert self.choose_password().headers["location"] == "/board"

    def sign_out(self) -> Any:
        token = csrf_of(self.client.get("/board").text)
        return self.client.post("/board/log-ud", data={"csrf_token": token}, follow_redirects=False)
