"""A municipality's receiver on loopback that misbehaves on purpose and de-duplicates by
webhook-id, recording when each request started and ended."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0  # seconds before answering, e.g. past the sender's read timeout


# Given the request's number (0, 1, ...) and its webhook-id, how to answer it.
Behaviour = Callable[[int, str], Answer]


def always_ok(_number: int, _webhook_id: str) -> Answer:
    return Answer()


@dataclass
class Request:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    answer: Answer
    started: float
    ended: float | None = None
    held: bool = False  # its answer was kept back by `hold`
    sender: int | None = None  # the sending process, when the receiver was asked to identify it


@dataclass
class FaultyReceiver:
    behaviour: Behaviour
    # Which process holds the other end of a connection, given its port (see processes.py).
    identify: Callable[[int], int | None] | None = None
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    # Webhook-ids in the order the receiver took them; a repeat is answered 200 and dropped.
    processed: list[str] = field(default_factory=list)
    # Webhook-ids that arrived while another request with the same id was still being handled.
    overlaps: list[str] = field(default_factory=list)
    held: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: Counter[str] = field(default_factory=Counter)
    _seen: set[str] = field(default_factory=set)
    _open: threading.Event = field(default_factory=threading.Event)

    def hold(self) -> None:
        """From now on take each request but keep its answer back until `release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def handle(
        self, webhook_id: str, headers: dict[str, str], body: bytes, *, peer_port: int
    ) -> Request:
        with self.lock:
            answer = self.behaviour(len(self.requests), webhook_id)
            request = Request(webhook_id, headers, body, answer, started=time.monotonic())
            self.requests.append(request)
            if self._in_flight[webhook_id]:
                self.overlaps.append(webhook_id)
            self._in_flight[webhook_id] += 1
            # A 2xx means the receiver has taken the message, even if the answer comes too late.
            if answer.status < 300 and webhook_id not in self._seen:
                self._seen.add(webhook_id)
                self.processed.append(webhook_id)
            if not self._open.is_set():
                request.held = True
                self.held += 1
        if self.identify is not None:
            request.sender = self.identify(peer_port)
        self._open.wait(timeout=30)
        time.sleep(answer.delay)
        return request

    def done(self, request: Request) -> None:
        with self.lock:
            request.ended = time.monotonic()
            self._in_flight[request.webhook_id] -= 1

    def wait_until(self, condition: Callable[[], bool], *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition():
                    return
            time.sleep(0.02)
        raise AssertionError(f"receiver: {what} not reached in {timeout} s")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # two workers with eight sends each must not meet a full backlog


@contextmanager
def faulty_receiver(
    behaviour: Behaviour = always_ok, *, identify: Callable[[int], int | None] | None = None
) -> Iterator[FaultyReceiver]:
    receiver = FaultyReceiver(behaviour, identify)
    receiver.release()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = receiver.handle(
                headers.get("webhook-id", ""), headers, body, peer_port=self.client_address[1]
            )
            try:
                self.send_response(request.answer.status)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (read timeout) or was killed
            finally:
                receiver.done(request)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
