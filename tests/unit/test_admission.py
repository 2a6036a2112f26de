"""The admission limit: messages beyond the limit, or beyond one client's share of it, are
answered 503 at once; nothing else is."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from overgang.api.admission import AdmissionLimit
from overgang.metrics import MESSAGES_SHED
from overgang.service.caller import Caller

HOSPITALS = {name: uuid.uuid4() for name in ("psyk-s4", "herlev")}


class SlowApp:
    """Answers 200, messages only once `release` is set; counts the requests it took."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.taken = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.taken += 1
        if scope["path"] == "/fhir/$process-message":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


class Authenticated:
    """What RequestGuard does before AdmissionLimit: the caller (here named by a header) in state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = dict(scope["headers"]).get(b"x-hospital", b"psyk-s4").decode()
        client_id = HOSPITALS[name]
        caller = Caller(client_id, client_id, "hospital", name, None)
        await self.app({**scope, "state": {"caller": caller}}, receive, send)


async def _post_while_busy(
    paths: list[str], *, limit: int, per_client_limit: int = 0, others: tuple[str, ...] = ()
) -> tuple[list[httpx.Response], int]:
    """Psyk S4 fills its slots (its own limit, else the process's), then sends one message to each
    path, and each hospital in `others` one: their answers, then those of the first messages."""
    held = per_client_limit or limit
    inner = SlowApp()
    app = Authenticated(
        AdmissionLimit(inner, limit=limit, per_client_limit=per_client_limit, retry_after_seconds=2)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://overgang") as client:
        in_progress = [
            asyncio.create_task(client.post("/fhir/$process-message", content=b"{}"))
            for _ in range(held)
        ]
        while inner.taken < held:
            await asyncio.sleep(0.001)
        answers = [await client.post(path, content=b"{}") for path in paths]
        answers += [
            await client.post("/api/v1/events", content=b"{}", headers={"X-Hospital": other})
            for other in others
        ]
        inner.release.set()
        answers += await asyncio.gather(*in_progress)
    return answers, inner.taken


def test_a_message_over_the_limit_is_refused_at_once_with_retry_after() -> None:
    shed_before = MESSAGES_SHED._value.get()
    answers, taken = asyncio.run(
        _post_while_busy(["/fhir/$process-message", "/api/v1/events"], limit=2)
    )
    fhir, api, *first = answers
    assert [answer.status_code for answer in first] == [200, 200]
    assert taken == 2
    assert fhir.status_code == 503
    assert fhir.headers["retry-after"] == "2"
    assert fhir.headers["content-type"] == "application/fhir+json"
    outcome = json.loads(fhir.content)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "throttled"
    assert api.status_code == 503
    assert api.headers["content-type"] == "application/problem+json"
    assert api.headers["retry-after"] == "2"
    assert json.loads(api.content)["status"] == 503
    assert MESSAGES_SHED._value.get() == shed_before + 2


def test_other_routes_and_a_freed_slot_are_not_limited() -> None:
    answers, taken = asyncio.run(_post_while_busy(["/api/v1/inbox/x/ack", "/healthz"], limit=1))
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert taken == 3


def test_a_client_at_its_own_limit_is_shed_while_another_client_gets_in() -> None:
    # The process could take six; Psyk S4 holds its three, so its fourth is shed and Herlev's not.
    answers, taken = asyncio.run(
        _post_while_busy(["/api/v1/events"], limit=6, per_client_limit=3, others=("herlev",))
    )
    own, other, *first = answers
    assert own.status_code == 503
    assert own.headers["retry-after"] == "2"
    assert "this client" in json.loads(own.content)["detail"]
    assert other.status_code == 200
    assert [answer.status_code for answer in first] == [200, 200, 200]
    assert taken == 4


def test_zero_turns_the_limits_off() -> None:
    app = AdmissionLimit(SlowApp(), limit=0, per_client_limit=0, retry_after_seconds=2)
    assert not app._limited({"type": "http", "method": "POST", "path": "/api/v1/events"})
