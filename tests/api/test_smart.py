"""SMART Backend Services end to end (profile §8): partners written with PyJWT get access tokens
from /oauth/token and use them; every refusal is the RFC 6749 error; clients are revoked and
rotated through the CLI; a client over its rate gets 429 while another does not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from overgang.api.app import create_app
from overgang.cli import app as cli
from overgang.config import Settings
from overgang.errors import Unprocessable
from overgang.service import clients
from overgang.storage.db import create_db_engine, session_factory
from tests.conftest import Partners
from tests.messages import EXAMPLE_STAY, HOSPITAL_SOR, body, example
from tests.smart_client import (
    TOKEN_URL,
    PartnerKey,
    assertion,
    claims,
    jwks,
    token_form,
    unsigned,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEND = "system/overgang.messages.write"
READ_INBOX = "system/overgang.inbox.read"
ANSWER_INBOX = "system/overgang.inbox.write"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Smart:
    client: TestClient
    clock: Clock
    hospital_id: str
    hospital_key: PartnerKey
    aalborg_id: str
    aalborg_key: PartnerKey
    tokens: Partners

    def assertion(self, who: str = "hospital", **changes: Any) -> str:
        key: PartnerKey = getattr(self, f"{who}_key")
        return assertion(key, claims(getattr(self, f"{who}_id"), now=NOW.timestamp(), **changes))

    def request_token(self, client_assertion: str, scope: str | None = SEND) -> Any:
        return self.client.post("/oauth/token", data=token_form(client_assertion, scope))

    def access_token(self, who: str = "hospital", scope: str = SEND) -> str:
        answer = self.request_token(self.assertion(who), scope)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def get(self, path: str, token: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})

    def send(self, bundle: dict[str, Any], token: str) -> Any:
        return self.client.post(
            "/fhir/$process-message",
            content=body(bundle),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
        )


def register(settings: Settings, org: str, **keys: Any) -> str:
    engine = create_db_engine(settings.database_url)
    client_id = clients.create_smart_client(
        sessions=session_factory(engine),
        settings=settings,
        org=org,
        name="EPJ",
        jwks=keys.get("jwks"),
        jwks_url=keys.get("jwks_url"),
        now=NOW,
    )
    engine.dispose()
    return str(client_id)


@contextmanager
def serve(settings: Settings, tokens: Partners) -> Iterator[Smart]:
    hospital_key, aalborg_key = PartnerKey.generate("ES384"), PartnerKey.generate("RS384")
    hospital_id = register(settings, HOSPITAL_SOR, jwks=jwks(hospital_key))
    aalborg_id = register(settings, "0851", jwks=jwks(aalborg_key))
    app = create_app(settings)
    clock = Clock()
    app.state.clock = clock
    with TestClient(app) as client:
        yield Smart(client, clock, hospital_id, hospital_key, aalborg_id, aalborg_key, tokens)


@pytest.fixture
def smart(settings: Settings, tokens: Partners) -> Iterator[Smart]:
    with serve(settings, tokens) as running:
        yield running


# --- The whole stay with access tokens ---------------------------------------------------------


def test_a_smart_hospital_sends_the_stay_and_aalborg_reads_it_with_access_tokens(
    smart: Smart,
) -> None:
    answer = smart.request_token(smart.assertion(), SEND)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    granted = answer.json()
    assert granted["token_type"] == "bearer"
    assert granted["scope"] == SEND
    assert 0 < granted["expires_in"] <= 300

    for name in EXAMPLE_STAY:
        sent = smart.send(example(name), granted["access_token"])
        assert sent.status_code == 200, (name, sent.text)

    inbox = smart.get("/api/v1/inbox", smart.access_token("aalborg", READ_INBOX))
    assert inbox.status_code == 200, inbox.text
    assert [item["kind"] for item in inbox.json()["items"]] == [
        "hospital-notification",
        "discharge-plan",
        "hospital-notification",
        "handover",
    ]


def test_discovery_names_the_token_endpoint_and_the_keys_verify_an_access_token(
    smart: Smart,
) -> None:
    configuration = smart.client.get("/.well-known/smart-configuration").json()
    published = smart.client.get("/.well-known/jwks.json").json()
    token = smart.access_token()

    assert configuration["token_endpoint"] == TOKEN_URL
    assert configuration["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert configuration["token_endpoint_auth_signing_alg_values_supported"] == [
        "RS384",
        "ES384",
    ]
    assert SEND in configuration["scopes_supported"]
    key = jwt.PyJWK(published["keys"][0])
    decoded = jwt.decode(
        token,
        key,
        algorithms=[key.algorithm_name],
        audience="https://fhir.overgang.dk",
        options={"verify_exp": False},
    )
    assert decoded["sub"] == smart.hospital_id
    assert "d" not in published["keys"][0]


# --- Every refusal, as RFC 6749 §5.2 says ------------------------------------------------------


def refusals(smart: Smart) -> dict[str, tuple[str, str | None]]:
    """Each bad request: (client_assertion, scope)."""
    key, client_id = smart.hospital_key, smart.hospital_id
    stranger = PartnerKey.generate("ES384", kid=key.kid)
    at = NOW.timestamp()
    return {
        "wrong aud": (smart.assertion(aud="https://other.example/oauth/token"), SEND),
        "exp too far": (smart.assertion(exp=int(at) + 301), SEND),
        "no exp": (smart.assertion(exp=None), SEND),
        "expired assertion": (smart.assertion(exp=int(at) - 1), SEND),
        "no jti": (smart.assertion(jti=None), SEND),
        "iss is not sub": (smart.assertion(sub=smart.aalborg_id), SEND),
        "unknown client": (
            smart.assertion(iss=smart.tokens.hospital, sub=smart.tokens.hospital),
            SEND,
        ),
        "unknown kid": (assertion(key, claims(client_id, now=at), kid="not-registered"), SEND),
        "signed by another key": (assertion(stranger, claims(client_id, now=at)), SEND),
        "HS256": (
            assertion(
                PartnerKey(kid=key.kid, algorithm="HS256", private=b"k" * 32),
                claims(client_id, now=at),
            ),
            SEND,
        ),
        "alg none": (unsigned(claims(client_id, now=at), key.kid), SEND),
        "RS256": (
            assertion(smart.aalborg_key, claims(smart.aalborg_id, now=at), algorithm="RS256"),
            READ_INBOX,
        ),
        "not a JWT": ("abc", SEND),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong aud",
        "exp too far",
        "no exp",
        "expired assertion",
        "no jti",
        "iss is not sub",
        "unknown client",
        "unknown kid",
        "signed by another key",
        "HS256",
        "alg none",
        "RS256",
        "not a JWT",
    ],
)
def test_a_bad_assertion_is_invalid_client(smart: Smart, case: str) -> None:
    client_assertion, scope = refusals(smart)[case]

    answer = smart.request_token(client_assertion, scope)

    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_client"
    assert answer.json()["error_description"]
    assert answer.headers["cache-control"] == "no-store"


def test_a_replayed_jti_is_invalid_client(smart: Smart) -> None:
    once = smart.assertion()

    first, again = smart.request_token(once), smart.request_token(once)

    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]) == (401, "invalid_client")
    assert "jti" in again.json()["error_description"]


@pytest.mark.parametrize(
    ("scope", "reason"),
    [(READ_INBOX, "a municipality's scope"), ("system/*.*", "unknown"), (None, "missing")],
)
def test_a_hospital_asking_for_a_scope_it_may_not_have_is_invalid_scope(
    smart: Smart, scope: str | None, reason: str
) -> None:
    answer = smart.request_token(smart.assertion(), scope)

    assert answer.status_code == 400, reason
    assert answer.json()["error"] == "invalid_scope"


def test_a_request_that_is_not_client_credentials_is_refused(smart: Smart) -> None:
    form = token_form(smart.assertion(), SEND)
    wrong_grant = smart.client.post("/oauth/token", data={**form, "grant_type": "password"})
    no_assertion = smart.client.post("/oauth/token", data={"grant_type": "client_credentials"})
    as_json = smart.client.post("/oauth/token", json=form)

    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    assert no_assertion.json()["error"] == "invalid_request"
    assert as_json.json()["error"] == "invalid_request"
    assert {wrong_grant.status_code, no_assertion.status_code, as_json.status_code} == {400}


def test_an_access_token_expires_after_its_lifetime(smart: Smart) -> None:
    token = smart.access_token("aalborg", READ_INBOX)
    assert smart.get("/api/v1/inbox", token).status_code == 200

    smart.clock.now = NOW + timedelta(seconds=300)

    refused = smart.get("/api/v1/inbox", token)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_token_only_opens_the_routes_of_its_scopes(smart: Smart) -> None:
    reader = smart.access_token("aalborg", READ_INBOX)
    sender = smart.access_token("hospital", SEND)

    ack = smart.client.post(
        "/api/v1/inbox/00000000-0000-0000-0000-000000000000/ack",
        json={"status": "accepted"},
        headers={"Authorization": f"Bearer {reader}"},
    )
    inbox = smart.get("/api/v1/inbox", sender)

    for refused in (ack, inbox):
        assert refused.status_code == 403
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert ANSWER_INBOX in ack.headers["www-authenticate"]


def test_a_forged_access_token_is_refused(smart: Smart) -> None:
    forged = assertion(smart.hospital_key, {"sub": smart.hospital_id, "scope": SEND})

    assert smart.get("/api/v1/inbox", forged).status_code == 401


# --- Keys from a JWKS URL ----------------------------------------------------------------------


@contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
    """A loopback HTTP server answering GET with `document["jwks"]`; records each fetch."""
    fetches: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            content = json.dumps(document["jwks"]).encode()
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", document, fetches
    finally:
        server.shutdown()
        server.server_close()


def test_keys_come_from_the_jwks_url_and_a_new_kid_refetches_it(
    settings: Settings, tokens: Partners
) -> None:
    # The webhook rule allows plain-http loopback only with allow_insecure_webhooks (set here).
    settings = settings.model_copy(update={"jwks_refetch_min_seconds": 0})
    first, rotated = PartnerKey.generate("ES384"), PartnerKey.generate("RS384")
    with (
        jwks_server({"jwks": jwks(first)}) as (url, document, fetches),
        serve(settings, tokens) as smart,
    ):
        client_id = register(settings, HOSPITAL_SOR, jwks_url=url)

        def request(key: PartnerKey) -> Any:
            return smart.request_token(assertion(key, claims(client_id, now=NOW.timestamp())))

        assert request(first).status_code == 200
        assert request(first).status_code == 200
        assert len(fetches) == 1  # cached
        document["jwks"] = jwks(rotated)
        assert request(rotated).status_code == 200
        assert len(fetches) == 2
        unknown = request(PartnerKey.generate("ES384"))
        assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")


def test_a_jwks_url_on_a_private_network_is_refused_at_registration(settings: Settings) -> None:
    with pytest.raises(Unprocessable, match=r"http"):
        register(
            settings.model_copy(update={"allow_insecure_webhooks": False}),
            "0851",
            jwks_url="http://127.0.0.1:9/jwks.json",
        )


# --- Static tokens: off, revoked, rotated ------------------------------------------------------


def test_static_tokens_switched_off_are_refused_while_access_tokens_work(
    settings: Settings, tokens: Partners
) -> None:
    with serve(settings.model_copy(update={"static_tokens": False}), tokens) as smart:
        static = smart.get("/api/v1/inbox", tokens.aalborg)
        smart_token = smart.get("/api/v1/inbox", smart.access_token("aalborg", READ_INBOX))

    assert static.status_code == 401
    assert "switched off" in static.json()["detail"]
    assert smart_token.status_code == 200


def cli_run(database_url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_operator_registers_lists_and_revokes_clients_through_the_cli(
    settings: Settings,
    tokens: Partners,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key = PartnerKey.generate("ES384")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks(key)))
    created = cli_run(
        database_url, monkeypatch, "client", "create", "--org", "0851", "--name", "Case system",
        "--jwks-file", str(jwks_file),
    )  # fmt: skip
    client_id = created.strip().splitlines()[-1]
    static_id = next(
        line.split()[0]
        for line in cli_run(database_url, monkeypatch, "client", "list").splitlines()
        if line.split()[1] == "static" and line.split()[2] == "0851"
    )
    uncached = settings.model_copy(update={"token_cache_seconds": 0})
    with serve(uncached, tokens) as smart:

        def token_request() -> Any:
            return smart.request_token(
                assertion(key, claims(client_id, now=NOW.timestamp())), READ_INBOX
            )

        access = token_request().json()["access_token"]
        assert smart.get("/api/v1/inbox", access).status_code == 200

        cli_run(database_url, monkeypatch, "client", "revoke", "--id", client_id)
        cli_run(database_url, monkeypatch, "client", "revoke", "--id", static_id)

        refused = token_request()
        assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
        assert smart.get("/api/v1/inbox", access).status_code == 401
        assert smart.get("/api/v1/inbox", tokens.aalborg).status_code == 401
    listed = cli_run(database_url, monkeypatch, "client", "list")
    assert f"{client_id}  smart" in listed and "revoked" in listed
    organisations = cli_run(database_url, monkeypatch, "org", "list")
    assert "0851" in organisations and "hospital" in organisations


def test_a_rotated_static_token_works_beside_the_new_one_until_the_overlap_ends(
    settings: Settings, tokens: Partners, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = cli_run(database_url, monkeypatch, "client", "list")
    aalborg_id = next(line.split()[0] for line in listed.splitlines() if " 0851 " in line)
    rotated = cli_run(
        database_url, monkeypatch, "client", "rotate", "--id", aalborg_id, "--overlap", "1h"
    )
    new_token = rotated.strip().splitlines()[-1]
    uncached = settings.model_copy(update={"token_cache_seconds": 0})
    with serve(uncached, tokens) as smart:
        assert smart.get("/api/v1/inbox", new_token).status_code == 200
        assert smart.get("/api/v1/inbox", tokens.aalborg).status_code == 200
        smart.clock.now = datetime.now(UTC) + timedelta(hours=1)
        assert smart.get("/api/v1/inbox", tokens.aalborg).status_code == 401
        assert smart.get("/api/v1/inbox", new_token).status_code == 200


def test_a_static_token_created_with_an_expiry_stops_working_then(
    settings: Settings, tokens: Partners, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = cli_run(
        database_url, monkeypatch, "client", "create", "--org", "0851", "--name", "Pilot",
        "--expires-in", "2d",
    )  # fmt: skip
    token = created.strip().splitlines()[-1]
    uncached = settings.model_copy(update={"token_cache_seconds": 0})
    with serve(uncached, tokens) as smart:
        smart.clock.now = datetime.now(UTC) + timedelta(days=1)
        assert smart.get("/api/v1/inbox", token).status_code == 200
        smart.clock.now = datetime.now(UTC) + timedelta(days=2, minutes=1)
        assert smart.get("/api/v1/inbox", token).status_code == 401


# --- Rate limits -------------------------------------------------------------------------------


def test_a_client_over_its_rate_gets_429_while_another_client_does_not(
    settings: Settings, tokens: Partners
) -> None:
    limited = settings.model_copy(update={"rate_limit_per_second": 1.0, "rate_limit_burst": 2})
    with serve(limited, tokens) as smart:
        smart.client.app.state.rate_limits.clock = lambda: 100.0  # type: ignore[attr-defined]
        answers = [smart.get("/api/v1/inbox", tokens.aalborg) for _ in range(3)]
        fhir = smart.send(example("01-admission-STIN.json"), tokens.aalborg)
        other = smart.get("/api/v1/inbox", tokens.copenhagen)

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "1"
    assert answers[2].headers["content-type"] == "application/problem+json"
    assert fhir.status_code == 429
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert other.status_code == 200
