"""Where issue 12's ratio goes, layer by layer: CPU per message of each layer the server adds on
top of plain validation, measured side by side in one run, rounds interleaved.

    .venv/bin/python -m bench.budget [--messages 120] [--rounds 5]

Layers, each containing the one before (SQLite, no webhook: the issue's condition):
1. plain validation: `Bundle.model_validate_json` in a subprocess that imports nothing of
   Overgang (the denominator of `bench.ratio`);
2. decode and read: what `$process-message` does before it stores anything (JSON screen,
   fhir.resources on the decoded document, Overgang's limits, references, reading the facts);
3. `process_message`: the whole intake, with its transaction, audit row and acknowledgement;
4. the ASGI app: the same message through every middleware, FastAPI's routing, the thread
   hop and the response, called in process (no socket, no uvicorn).
`bench.ratio` gives the last step, over HTTP through uvicorn. Each layer's figure is the median
of its rounds; the table gives it in ms and as a multiple of plain validation.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bench.messages import Message, stays, take
from bench.ratio import validation_ms
from bench.stages import Stages
from overgang.api.app import create_app
from overgang.config import Settings
from overgang.storage.models import WebhookEndpoint

LAYERS = ("plain validation", "decode and read", "process_message", "ASGI app")


def no_webhook_stages(url: str) -> Stages:
    """bench.stages' set-up, without the webhook endpoint it registers."""
    stages = Stages(url, "http://127.0.0.1:9/unused")
    with stages.sessions.begin() as session:
        session.query(WebhookEndpoint).delete()
    return stages


async def post(app: FastAPI, body: bytes, token: str) -> None:
    """One POST /fhir/$process-message through the app, as uvicorn would hand it over."""
    path = "/fhir/$process-message"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/fhir+json"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    given = False
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect: the app answers first
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [200]:
        raise RuntimeError(f"message refused: {statuses}")


def cpu_ms(call: Callable[[], object], count: int) -> float:
    began = time.process_time()
    call()
    return (time.process_time() - began) * 1000 / count


async def measure(messages: int, rounds: int, workdir: Path) -> dict[str, list[float]]:
    url = f"sqlite:///{workdir / 'overgang.db'}"
    stages = no_webhook_stages(url)
    app = create_app(Settings(database_url=url, run_worker=False))
    source = stays(now=datetime.now(UTC), block=20)
    figures: dict[str, list[float]] = {layer: [] for layer in LAYERS}
    try:
        async with app.router.lifespan_context(app):
            for message in take(source, 60):  # first use of every path, not counted
                await post(app, message.body, stages.token)
            for _ in range(rounds):
                same = take(source, messages)
                figures["plain validation"].append(validation_ms(same, workdir))
                figures["decode and read"].append(
                    cpu_ms(lambda: [stages.read(m) for m in same], messages)
                )
                fresh = take(source, messages)
                figures["process_message"].append(
                    cpu_ms(lambda: [stages.process(m) for m in fresh], messages)
                )
                through_app = take(source, messages)
                began = time.process_time()
                for message in through_app:
                    await post(app, message.body, stages.token)
                figures["ASGI app"].append((time.process_time() - began) * 1000 / messages)
    finally:
        stages.engine.dispose()
        app.state.engine.dispose()
    return figures


def table(figures: dict[str, list[float]]) -> list[str]:
    base = statistics.median(figures["plain validation"])
    rows = [
        "| layer | CPU ms per message (median) | rounds | × plain validation | added by the layer |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    before = 0.0
    for layer in LAYERS:
        median = statistics.median(figures[layer])
        spread = ", ".join(f"{value:.2f}" for value in figures[layer])
        added = f"{(median - before) / base:+.2f}×" if before else ""
        rows.append(f"| {layer} | {median:.2f} | {spread} | {median / base:.2f} | {added} |")
        before = median
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=120, help="per layer and round (x 60)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="overgang-budget-") as workdir:
        figures = asyncio.run(measure(args.messages, args.rounds, Path(workdir)))
    print(f"### Budget, SQLite, no webhook, {args.messages} messages a layer and round\n")
    print("\n".join(table(figures)))


if __name__ == "__main__":
    main()
