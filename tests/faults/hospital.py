"""The hospital's side of a fault test: many admissions, sent from client threads, resent
when the answer did not come; and the municipality reading its inbox."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from tests.messages import body, example, header, resources, with_fresh_ids

CLIENT_THREADS = 4


def admissions(count: int) -> list[bytes]:
    """`count` STIN messages, each with fresh ids and an episode of its own."""
    messages = []
    for _ in range(count):
        message = with_fresh_ids(example("01-admission-STIN.json"))
        encounter = resources(message, "Encounter")[0]
        encounter["episodeOfCare"][0]["identifier"]["value"] = str(uuid.uuid4())
        messages.append(body(message))
    return messages


@cache
def header_id(raw: bytes) -> str:
    return str(header(json.loads(raw))["id"])


@dataclass
class Stream:
    """What the hospital got back: the answer per MessageHeader.id, None when none came."""

    answers: dict[str, httpx.Response | None] = field(default_factory=dict)
    retries: int = 0  # sends again after a connection error or a 5xx
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, client: httpx.Client, url: str, token: str, raw: bytes, *, until: float) -> None:
        """As an EPJ does: send again after a connection error or a 5xx, until `until`."""
        answer = post(client, url, token, raw)
        while (answer is None or answer.status_code >= 500) and time.monotonic() < until:
            with self.lock:
                self.retries += 1
            time.sleep(0.1)
            answer = post(client, url, token, raw)
        with self.lock:
            self.answers[header_id(raw)] = answer

    def accepted(self) -> int:
        with self.lock:
            return sum(1 for a in self.answers.values() if a is not None and a.status_code == 200)

    def wait_accepted(self, count: int, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.accepted() < count:
            assert time.monotonic() < deadline, f"{self.accepted()} of {count} accepted in time"
            time.sleep(0.02)

    def unanswered(self, messages: list[bytes]) -> list[bytes]:
        with self.lock:
            return [
                raw
                for raw in messages
                if (a := self.answers.get(header_id(raw))) is None or a.status_code != 200
            ]


def post(client: httpx.Client, base_url: str, token: str, raw: bytes) -> httpx.Response | None:
    """One POST; None when the connection failed or no answer came in time."""
    try:
        return client.post(
            f"{base_url}/fhir/$process-message",
            content=raw,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
        )
    except httpx.TransportError:
        return None


def stream(
    base_url: str,
    token: str,
    messages: list[bytes],
    *,
    retry_for: float = 0.0,
    rate: float | None = None,
) -> tuple[Stream, Callable[[], None]]:
    """Send `messages` from client threads in the background, each once or, with `retry_for`,
    again until accepted; at most `rate` a second. Returns the answers so far and a function
    that waits for the last one."""
    result = Stream()
    started = time.monotonic()
    until = started + retry_for
    pool = ThreadPoolExecutor(max_workers=CLIENT_THREADS)
    clients: list[httpx.Client] = []
    local = threading.local()

    def send(number: int, raw: bytes) -> None:
        if rate is not None:
            time.sleep(max(0.0, started + number / rate - time.monotonic()))
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=10)
            clients.append(local.client)
        result.send(local.client, base_url, token, raw, until=until)

    futures = [pool.submit(send, number, raw) for number, raw in enumerate(messages)]

    def finish() -> None:
        for future in futures:
            future.result(timeout=retry_for + 60)
        pool.shutdown()
        for client in clients:
            client.close()

    return result, finish


def inbox(base_url: str, token: str) -> list[dict[str, Any]]:
    """Every message in the municipality's inbox, oldest first, following the cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = ""
    with httpx.Client(timeout=30) as client:
        while cursor is not None:
            page = client.get(
                f"{base_url}/api/v1/inbox",
                params={"after": cursor, "limit": 500},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
    return items
