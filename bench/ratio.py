"""The ratio of issue 12: the server's CPU per accepted message against what validating the same
messages with plain fhir.resources costs, measured side by side in one run.

    .venv/bin/python -m bench.ratio [--stays 100] [--senders 4] [--runs 1] [--src DIR]

Numerator: `overgang serve` on a fresh SQLite database (one process, as shipped), whole stays sent
over HTTP: first one message at a time, then with `--senders` senders at once (saturation). CPU
is the server process's from /proc per accepted message. Two set-ups, each with a fresh server
and database: the headline is the issue's condition, **no webhook** (no endpoint registered; the
sender runs idle inside the server as shipped); the second line registers a webhook endpoint and
reads the CPU once every webhook has arrived, so the in-process sender's work is counted too
(`--headline-only` leaves it out; `--no-sender` serves without the sender at all). `--src`
serves another checkout's `src/` (e.g. an exported older commit) to interleave before and after.

Denominator: `Bundle.model_validate_json` of fhir.resources R4B on the same bodies, in a
subprocess of this environment that imports nothing of Overgang (so fhir-core's model-class
lookup is not cached, see src/overgang/fhir/model_classes.py); CPU of the loop only, after a
first message that pays the imports. It runs just before and just after each server phase, and
the two are averaged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.clients import RawPoster
from bench.cpu import tree_seconds, wait_for_quiet
from bench.messages import Message, stays, take
from bench.receiver import ReceiverProcess
from bench.servers import Server, fresh_database, overgang_server, register_partners
from overgang.delivery.secret_keys import new_key

PROCESS_MESSAGE = "/fhir/$process-message"
WARM_UP_STAYS = 20
# Runs in a subprocess: fhir.resources alone, no Overgang import, no model-class cache.
VALIDATE = """
import sys, time, orjson
from fhir.resources.R4B.bundle import Bundle
bodies = orjson.loads(open(sys.argv[1], "rb").read())
Bundle.model_validate_json(bodies[0])  # imports and first-use costs, not counted
began = time.process_time()
for body in bodies:
    Bundle.model_validate_json(body)
print((time.process_time() - began) / len(bodies))
"""


@dataclass(frozen=True)
class Phase:
    label: str
    accepted: int
    sent: int
    wall: float
    server_ms: float  # server CPU per accepted message
    validate_ms: float  # fhir.resources alone, per message

    @property
    def ratio(self) -> float:
        return self.server_ms / self.validate_ms

    def line(self) -> str:
        return (
            f"{self.label}: {self.accepted}/{self.sent} accepted, "
            f"{self.accepted / self.wall:.0f}/s; server {self.server_ms:.2f} ms CPU/msg, "
            f"validation alone {self.validate_ms:.2f} ms/msg: ratio {self.ratio:.2f}"
        )


def validation_ms(messages: list[Message], workdir: Path) -> float:
    """CPU ms per message of plain fhir.resources validation, in a fresh subprocess."""
    path = workdir / "bodies.json"
    path.write_bytes(orjson.dumps([m.body.decode() for m in messages]))
    output = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", VALIDATE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return float(output) * 1000


async def send(poster: RawPoster, messages: list[Message], senders: int) -> int:
    """Post every message, `senders` at a time back to back; how many were accepted."""
    pending = iter(messages)
    statuses: Counter[int | None] = Counter()

    async def sender() -> None:
        for message in pending:
            statuses[await poster.post(message.body)] += 1

    await asyncio.gather(*(sender() for _ in range(senders)))
    await poster.aclose()
    if set(statuses) - {200}:
        print(f"answers other than 200: {dict(statuses)}", file=sys.stderr)
    return statuses[200]


class Ratio:
    def __init__(
        self,
        args: argparse.Namespace,
        workdir: Path,
        receiver: ReceiverProcess,
        *,
        setup: str,
    ) -> None:
        self.args = args
        self.workdir = workdir
        self.receiver = receiver
        self.setup = setup
        self.webhook = setup == "webhook"
        url = fresh_database("sqlite", workdir=workdir, postgres_url="")
        env = {
            **os.environ,
            "OVERGANG_DATABASE_URL": url,
            "OVERGANG_ALLOW_INSECURE_WEBHOOKS": "1",
            "OVERGANG_LOG_LEVEL": "WARNING",
            "OVERGANG_RUN_WORKER": "false" if args.no_sender else "true",
            "OVERGANG_SECRET_KEYS": f"bench:{new_key()}",
        }
        if args.src:
            env["PYTHONPATH"] = str(Path(args.src).resolve())
        token = register_partners(env=env, webhook_url=receiver.url if self.webhook else None)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
        self.server: Server = overgang_server(
            env=env, workers=1, threads=None, senders=0, log_path=workdir / "overgang.log"
        )
        self.delivered = 0

    def poster(self, connections: int) -> RawPoster:
        url = self.server.base_url + PROCESS_MESSAGE
        return RawPoster(url=url, headers=self.headers, connections=connections, timeout=30)

    def phase(self, label: str, messages: list[Message], senders: int) -> Phase:
        # The denominator before and after the phase, averaged: the machine's load drifts.
        validate_before = validation_ms(messages, self.workdir)
        time.sleep(0.5)
        cpu_before, began = tree_seconds(self.server.pid), time.monotonic()
        accepted = asyncio.run(send(self.poster(senders), messages, senders))
        wall = time.monotonic() - began
        self.await_webhooks(accepted)
        cpu = tree_seconds(self.server.pid) - cpu_before
        return Phase(
            label=label,
            accepted=accepted,
            sent=len(messages),
            wall=wall,
            server_ms=cpu * 1000 / max(accepted, 1),
            validate_ms=(validate_before + validation_ms(messages, self.workdir)) / 2,
        )

    def await_webhooks(self, accepted: int) -> None:
        if self.args.no_sender or not self.webhook:
            return
        self.delivered += accepted
        deadline = time.monotonic() + 30
        while self.receiver.count() < self.delivered and time.monotonic() < deadline:
            time.sleep(0.05)

    def run(self) -> list[Phase]:
        wait_for_quiet(limit=self.args.wait_quiet)
        self.server.start()
        print(f"server pid {self.server.pid}", file=sys.stderr, flush=True)
        try:
            now = datetime.now(UTC)
            self.phase("warm-up", take(stays(now=now, block=10, seed=7), WARM_UP_STAYS * 3), 4)
            count = self.args.stays * 3
            one = take(stays(now=now, block=20, seed=11), count)
            many = take(stays(now=now, block=100, seed=13), count)
            return [
                self.phase(f"{self.setup}, one at a time", one, 1),
                self.phase(f"{self.setup}, {self.args.senders} senders", many, self.args.senders),
            ]
        finally:
            self.server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stays", type=int, default=100, help="stays (3 messages) per phase")
    parser.add_argument("--senders", type=int, default=4, help="senders at once at saturation")
    parser.add_argument("--runs", type=int, default=1, help="fresh server and database each")
    parser.add_argument("--wait-quiet", type=float, default=30.0)
    parser.add_argument(
        "--no-sender", action="store_true", help="serve without the webhook sender (intake only)"
    )
    parser.add_argument(
        "--headline-only", action="store_true", help="no webhook only; skip the webhook line"
    )
    parser.add_argument("--src", default="", help="serve this src/ directory instead (PYTHONPATH)")
    args = parser.parse_args(argv)
    results: list[list[Phase]] = []
    for run in range(args.runs):
        phases = []
        for setup in ["no webhook"] if args.headline_only else ["no webhook", "webhook"]:
            workdir = Path(tempfile.mkdtemp(prefix="overgang-ratio-"))
            receiver = ReceiverProcess()
            receiver.start()
            try:
                phases += Ratio(args, workdir, receiver, setup=setup).run()
            finally:
                receiver.stop()
                shutil.rmtree(workdir, ignore_errors=True)
        results.append(phases)
        for phase in phases:
            print(f"run {run + 1}, {phase.line()}", flush=True)
    for position, label in enumerate(p.label for p in results[0]):
        ratios = ", ".join(f"{phases[position].ratio:.2f}" for phases in results)
        print(f"ratio, {label}: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
