"""Authenticate before any work: over real sockets, a request without a valid token is refused
from its headers alone, before its body is sent; a body past the size limit or its deadline is
refused and nothing of it is stored; unauthenticated clients never hold a hospital's slot."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from overgang.api.app import create_app
from overgang.api.deps import get_caller
from overgang.api.guard import PUBLIC_PATHS, TOKEN_PATH, is_board_path
from overgang.config import Settings
from tests.api.test_events import event
from tests.conftest import Api, Partners
from tests.messages import body, example, with_fresh_ids

LIMIT = 32 * 1024
# Generous: the machine may be loaded. An answer that waits for a body never comes at all.
ANSWER_WITHIN = 10.0
ROUTES = ["/api/v1/events", "/api/v1/inbox/{id}/ack", "/fhir/$process-message"]


@pytest.fixture
def guarded(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "max_body_bytes": LIMIT,
            "body_read_timeout_seconds": 0.5,
            "max_messages_in_progress": 4,
            "max_messages_in_progress_per_client": 2,
        }
    )


@dataclass
class Server:
    port: int
    tokens: Partners

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self, stack: ExitStack) -> Connection:
        """A raw connection, closed when `stack` closes."""
        return stack.enter_context(Connection(self.port))

    def aalborg_inbox(self) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.base}/api/v1/inbox",
            headers={"Authorization": f"Bearer {self.tokens.aalborg}"},
            timeout=ANSWER_WITHIN,
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


@pytest.fixture
def server(guarded: Settings, tokens: Partners) -> Iterator[Server]:
    """The app served by uvicorn on a loopback socket, as `overgang serve` does."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(guarded), log_config=None, access_log=False, timeout_graceful_shutdown=5
    )
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not served.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert served.started, "the server did not start"
        yield Server(port=listening.getsockname()[1], tokens=tokens)
    finally:
        served.should_exit = True
        thread.join(timeout=30)
        listening.close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One HTTP/1.1 connection that sends a request's head and body in pieces, as a slow or
    hostile client does."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.socket.close()

    def send_head(self, path: str, token: str | None = None, **headers: str) -> Connection:
        lines = [f"POST {path} HTTP/1.1", "Host: overgang", "Content-Type: application/json"]
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        self.socket.sendall("\r\n".join([*lines, "", ""]).encode())
        return self

    def send(self, data: bytes) -> None:
        self.socket.sendall(data)

    def answer(self) -> Answer:
        """The answer, read within ANSWER_WITHIN seconds; the server closes the connection after it."""
        response = http.client.HTTPResponse(self.socket)
        response.begin()
        answer = Answer(response.status, response.headers, response.read())
        assert response.getheader("connection") == "close"
        return answer


def route(path: str) -> str:
    return path.replace("{id}", str(uuid.uuid4()))


def assert_refused(answer: Answer, path: str, status: int) -> None:
    assert answer.status == status, answer.body
    if path.startswith("/fhir"):
        assert answer.headers["content-type"] == "application/fhir+json"
        assert answer.json()["resourceType"] == "OperationOutcome"
    else:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == status


# --- Without a valid token, nothing of the body is read -----------------------------------------


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_without_a_valid_token_is_refused_before_it_is_sent(
    server: Server, path: str
) -> None:
    with ExitStack() as stack:
        declared = server.connect(stack).send_head(route(path), content_length=str(200 * 2**20))
        chunked = server.connect(stack).send_head(route(path), transfer_encoding="chunked")
        unknown = server.connect(stack).send_head(
            route(path), token="ovg_not-a-token", content_length=str(200 * 2**20)
        )

        for connection in (declared, chunked, unknown):
            answer = connection.answer()
            assert_refused(answer, path, 401)
            assert answer.headers["www-authenticate"] == "Bearer"


def test_slow_unauthenticated_bodies_never_hold_a_slot_a_hospital_needs(server: Server) -> None:
    # Twice the process's four slots, each sending its body a trickle at a time.
    with ExitStack() as stack:
        slow = [
            server.connect(stack).send_head("/api/v1/events", content_length="1000")
            for _ in range(8)
        ]
        for connection in slow:
            connection.send(b'{"event_id": ')

        sent = httpx.post(
            f"{server.base}/fhir/$process-message",
            content=body(example("01-admission-STIN.json")),
            headers={
                "Authorization": f"Bearer {server.tokens.hospital}",
                "Content-Type": "application/fhir+json",
            },
            timeout=ANSWER_WITHIN,
        )

        assert sent.status_code == 200, sent.text
        for connection in slow:
            assert_refused(connection.answer(), "/api/v1/events", 401)


# --- An authenticated body: within its size and its deadline -----------------------------------


@pytest.mark.parametrize("path", ["/api/v1/events", "/fhir/$process-message"])
def test_a_body_sent_too_slowly_is_answered_408_and_nothing_is_stored(
    server: Server, path: str
) -> None:
    message = (
        json.dumps(event("slow-1", "admission")).encode()
        if path == "/api/v1/events"
        else body(example("01-admission-STIN.json"))
    )
    with ExitStack() as stack:
        connection = server.connect(stack).send_head(
            path, token=server.tokens.hospital, content_length=str(len(message))
        )
        connection.send(message[: len(message) // 2])  # and the rest never comes

        answer = connection.answer()

    assert_refused(answer, path, 408)
    assert server.aalborg_inbox() == []


@pytest.mark.parametrize("path", ROUTES)
def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    server: Server, path: str
) -> None:
    token = server.tokens.aalborg if "inbox" in path else server.tokens.hospital
    with ExitStack() as stack:
        connection = server.connect(stack).send_head(
            route(path), token=token, content_length=str(LIMIT + 1)
        )

        answer = connection.answer()

    assert_refused(answer, path, 413)
    if path.startswith("/fhir"):
        assert answer.json()["issue"][0]["code"] == "too-long"


@pytest.fixture
def guarded_api(guarded: Settings, tokens: Partners) -> Iterator[Api]:
    with TestClient(create_app(guarded)) as client:
        yield Api(client, tokens)


@pytest.mark.parametrize("framing", ["declared", "chunked"])
@pytest.mark.parametrize("path", ROUTES)
def test_a_message_over_the_limit_is_refused_and_nothing_is_stored(
    guarded_api: Api, path: str, framing: str
) -> None:
    api = guarded_api
    if "inbox" in path:
        assert api.send(with_fresh_ids(example("01-admission-STIN.json"))).status_code == 200
        stored = api.inbox().json()["items"]
        path, token = path.replace("{id}", stored[0]["id"]), api.tokens.aalborg
        message = json.dumps({"status": "rejected", "reason": "Forkert kommune"}).encode()
    elif path.startswith("/fhir"):
        stored, token = [], api.tokens.hospital
        message = body(example("01-admission-STIN.json"))
    else:
        stored, token = [], api.tokens.hospital
        message = json.dumps(event("large-1", "admission")).encode()
    # Valid as it stands, only too long: JSON allows any amount of trailing whitespace.
    padded = message + b" " * (LIMIT + 1 - len(message))
    content = padded if framing == "declared" else iter([padded[:LIMIT], padded[LIMIT:]])

    response = api.client.post(
        path,
        content=content,
        headers={**api.auth(token), "Content-Type": "application/json"},
    )

    assert response.status_code == 413, response.text
    assert api.inbox().json()["items"] == stored


# --- One list of public routes -----------------------------------------------------------------


def test_every_route_outside_the_public_list_needs_a_caller(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'overgang.db'}"))
    # An included router stands in app.routes whole, holding its own routes.
    routes = [
        inner
        for outer in app.routes
        for inner in getattr(getattr(outer, "original_router", None), "routes", [outer])
    ]
    assert len(routes) > len(PUBLIC_PATHS)
    for app_route in routes:
        needs_caller = isinstance(app_route, APIRoute) and any(
            dependency.call is get_caller for dependency in app_route.dependant.dependencies
        )
        # The token endpoint's client authenticates in the body, with a signed assertion.
        open_to_all = app_route.path in PUBLIC_PATHS or app_route.path == TOKEN_PATH
        if is_board_path(app_route.path):  # people, with the board's cookie (test_board.py)
            assert not needs_caller and not open_to_all, app_route.path
            continue
        assert needs_caller != open_to_all, app_route.path
    app.state.engine.dispose()
