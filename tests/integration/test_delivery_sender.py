"""One webhook attempt against a real HTTP receiver on 127.0.0.1: what is sent and how each
answer is classified."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from overgang.delivery.sender import AttemptOutcome, make_client, send
from overgang.delivery.signing import new_secret, signed_headers

BODY = b'{"resourceType":"Bundle","type":"message","id":"b1","note":"\xc3\xa6\xc3\xb8\xc3\xa5"}'
READ_TIMEOUT = 0.3
# Long enough to trip the read timeout, short enough to keep the suite quick if it did not.
SLOW_SECONDS = 1.5


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [request.path for request in self.received]


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        received = Received(
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
        )
        with self.server.lock:
            self.server.received.append(received)
        if self.path == "/ok":
            self.reply(200, b"modtaget")
        elif self.path == "/broken":
            self.reply(500, b"database nede: " + b"x" * 2000)
        elif self.path == "/gone":
            self.reply(410, b"endpoint retired")
        elif self.path == "/moved":
            self.reply(302, b"", {"Location": self.server.url("/target")})
        elif self.path == "/busy":
            self.reply(429, b"slow down", {"Retry-After": "7"})
        elif self.path == "/latin1":
            self.reply(400, b"\xff\xfe ugyldig \xc3", {"Content-Type": "text/plain; charset=bogus"})
        elif self.path == "/slow":
            self.server.release.wait(SLOW_SECONDS)
            self.reply(200, b"too late")
        elif self.path == "/hangup":
            self.close_connection = True  # no status line at all
        else:
            self.reply(404, b"no such hook")

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(connect_timeout=2.0, read_timeout=READ_TIMEOUT) as http:
        yield http


def post(client: httpx.Client, url: str, secret: str | None = None) -> AttemptOutcome:
    headers = signed_headers(
        secrets=[secret or new_secret()],
        message_id="5e3c1f0a-7b2d-4c9e-8f61-2a4b6c8d0e1f",
        body=BODY,
        at=datetime.now(UTC),
    )
    return send(client=client, url=url, body=BODY, headers=headers)


def test_a_2xx_is_delivered_with_the_exact_bytes_and_a_verifiable_signature(
    receiver: Receiver, client: httpx.Client
) -> None:
    secret = new_secret()

    outcome = post(client, receiver.url("/ok"), secret)

    assert outcome.kind == "delivered"
    assert outcome.status_code == 200
    assert outcome.error_class is None
    assert outcome.response_excerpt == "modtaget"
    assert outcome.duration_ms > 0
    [request] = receiver.received
    assert request.body == BODY
    assert request.headers["content-type"] == "application/fhir+json"
    assert request.headers["webhook-id"] == "5e3c1f0a-7b2d-4c9e-8f61-2a4b6c8d0e1f"
    Webhook(secret).verify(request.body, request.headers)


def test_a_server_error_fails_with_its_status_and_the_start_of_its_answer(
    receiver: Receiver, client: httpx.Client
) -> None:
    outcome = post(client, receiver.url("/broken"))

    assert (outcome.kind, outcome.status_code, outcome.error_class) == ("failed", 500, None)
    assert outcome.response_excerpt.startswith("database nede: xxx")
    assert len(outcome.response_excerpt) == 500


def test_410_gone_tells_the_caller_to_disable_the_endpoint(
    receiver: Receiver, client: httpx.Client
) -> None:
    outcome = post(client, receiver.url("/gone"))

    assert (outcome.kind, outcome.status_code) == ("gone", 410)


def test_a_redirect_is_a_failure_and_is_not_followed(
    receiver: Receiver, client: httpx.Client
) -> None:
    outcome = post(client, receiver.url("/moved"))

    assert (outcome.kind, outcome.status_code, outcome.error_class) == ("failed", 302, "redirect")
    assert receiver.paths() == ["/moved"]


def test_429_fails_and_passes_on_the_retry_after(receiver: Receiver, client: httpx.Client) -> None:
    outcome = post(client, receiver.url("/busy"))

    assert (outcome.kind, outcome.status_code, outcome.retry_after) == ("failed", 429, "7")


def test_an_undecodable_answer_is_still_shown(receiver: Receiver, client: httpx.Client) -> None:
    outcome = post(client, receiver.url("/latin1"))

    assert (outcome.kind, outcome.status_code) == ("failed", 400)
    assert "ugyldig" in outcome.response_excerpt
    assert "\ufffd" in outcome.response_excerpt


def test_a_receiver_slower_than_the_read_timeout_fails_as_timeout(
    receiver: Receiver, client: httpx.Client
) -> None:
    outcome = post(client, receiver.url("/slow"))

    assert (outcome.kind, outcome.status_code, outcome.error_class) == ("failed", None, "timeout")
    assert READ_TIMEOUT * 1000 <= outcome.duration_ms < SLOW_SECONDS * 1000


def test_a_closed_port_fails_as_connect_error(client: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now that the probe is closed.

    outcome = post(client, f"http://127.0.0.1:{port}/hook")

    assert (outcome.kind, outcome.status_code, outcome.error_class) == (
        "failed",
        None,
        "connect-error",
    )


def test_a_receiver_that_hangs_up_fails_with_the_httpx_error_name(
    receiver: Receiver, client: httpx.Client
) -> None:
    outcome = post(client, receiver.url("/hangup"))

    assert (outcome.kind, outcome.status_code, outcome.error_class) == (
        "failed",
        None,
        "RemoteProtocolError",
    )
