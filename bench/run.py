"""Benchmark `POST /fhir/$process-message`: accepted messages per second, latency at fixed offered
rates, and end-to-end latency from the POST to the municipality's webhook, beside a bare FastAPI
endpoint that only reads the body (the ceiling).

    .venv/bin/python -m bench.run --database sqlite
    .venv/bin/python -m bench.run --database postgresql --rates 100,250,500 --max-rate

Each database is fresh and set up through the `overgang` CLI; the server is `overgang serve`
(one process) with logging at WARNING; the webhook receiver, the load generator and the server
are separate processes on this machine, all on 127.0.0.1. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.clients import Poster, make_poster
from bench.cpu import CpuMeter, wait_for_quiet
from bench.load import Run, closed_loop, open_loop, warm_up
from bench.messages import Message, stays, take
from bench.receiver import Arrival, ReceiverProcess
from bench.report import Figures, figures, render, table_row
from bench.servers import (
    Server,
    ceiling_server,
    code_version,
    fresh_database,
    overgang_server,
    postgres_started_at,
    register_partners,
)
from overgang.delivery.secret_keys import new_key

DEFAULT_POSTGRES_URL = "postgresql+psycopg://overgang:overgang@127.0.0.1:5432/overgang_bench"
PROCESS_MESSAGE = "/fhir/$process-message"
WARM_UP_MESSAGES = 60


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="dropped and made anew"
    )
    parser.add_argument(
        "--rates", default="100,250,500", help="offered messages/s, comma-separated"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    parser.add_argument(
        "--max-rate", action="store_true", help="also a closed-loop run to saturation"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="senders in --max-rate mode (all one client: at most its admission limit, 8 by "
        "default, or the rest are answered 503)",
    )
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="httpx",
        help="httpx.AsyncClient, or a lean asyncio HTTP/1.1 client that costs the machine less",
    )
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--senders",
        type=int,
        default=0,
        help="run the webhook sender as this many `overgang worker` processes (0: in the server)",
    )
    parser.add_argument(
        "--server-threads", type=int, help="request threads per process (default 4)"
    )
    parser.add_argument(
        "--server-command",
        help="serve Overgang with this instead of `overgang serve` ({port} is filled in)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--drain", type=float, default=15.0, help="most seconds to await webhooks")
    parser.add_argument(
        "--no-webhooks", action="store_true", help="serve without the webhook sender (its cost)"
    )
    parser.add_argument("--no-ceiling", action="store_true", help="skip the bare FastAPI ceiling")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="most seconds to wait for an idle machine"
    )
    parser.add_argument("--markdown", type=Path, help="append the results section to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server logs)")
    args = parser.parse_args(argv)
    args.rate_list = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    if any(rate <= 0 for rate in args.rate_list) or args.duration <= 0:
        parser.error("rates and duration must be positive")
    if args.duration * sum(args.rate_list) > 20_000:
        parser.error("more than 20,000 messages per server: lower --rates or --duration")
    return args


class Bench:
    """Runs the same phases against one server: a warm-up, each rate, then saturation."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        name: str,
        server: Server,
        headers: dict[str, str],
        receiver: ReceiverProcess | None,
    ) -> None:
        self.args = args
        self.name = name
        self.server = server
        self.url = server.base_url + PROCESS_MESSAGE
        self.headers = headers
        self.receiver = receiver
        self.quiet = 0.0  # how busy the machine was just before the first phase
        self.postgres_database: str | None = None  # whose backends' CPU to count

    def run(self) -> list[Figures]:
        """Start the server, run every phase, stop it."""
        self.quiet = wait_for_quiet(limit=self.args.wait_quiet)
        self.server.start()
        print(f"{self.name}: server pid {self.server.pid}", file=sys.stderr, flush=True)
        try:
            return self.run_all()
        finally:
            self.server.stop()

    def run_all(self) -> list[Figures]:
        self._run_warm_up()
        results = []
        for rate in self.args.rate_list:
            count = round(rate * self.args.duration)
            # Half a second between one stay's messages: its admission is taken before its plan.
            messages = take(stays(now=datetime.now(UTC), block=max(20, math.ceil(rate / 2))), count)
            results.append(self._phase(f"{rate:g}/s", self._open_loop(rate, messages)))
        if self.args.max_rate:
            results.append(self._phase(f"max, {self.args.concurrency} conns", self._closed_loop()))
        return results

    def _poster(self, connections: int) -> Poster:
        return make_poster(
            self.args.client,
            url=self.url,
            headers=self.headers,
            connections=connections,
            timeout=self.args.timeout,
        )

    def _run_warm_up(self) -> None:
        messages = stays(now=datetime.now(UTC), block=20)
        asyncio.run(self._warm_up(messages))
        self._webhooks(expected=WARM_UP_MESSAGES)

    async def _warm_up(self, messages: Iterator[Message]) -> int:
        return await warm_up(poster=self._poster(4), messages=messages, count=WARM_UP_MESSAGES)

    async def _open_loop(self, rate: float, messages: list[Message]) -> Run:
        poster = self._poster(self.args.connections)
        return await open_loop(poster=poster, messages=messages, rate=rate)

    async def _closed_loop(self) -> Run:
        return await closed_loop(
            poster=self._poster(self.args.concurrency),
            messages=stays(now=datetime.now(UTC), block=200),
            duration=self.args.duration,
            concurrency=self.args.concurrency,
        )

    def _phase(self, label: str, load: Coroutine[Any, Any, Run]) -> Figures:
        time.sleep(1.0)  # let the previous phase's stragglers settle
        meter = CpuMeter(
            server_pid=self.server.pid,
            receiver_pid=self.receiver.pid if self.receiver else None,
            postgres_database=self.postgres_database,
        )
        errors_before = self.server.errors_logged()
        postgres_before = self._postgres_started()
        meter.start()
        run = asyncio.run(load)
        arrivals = self._webhooks(expected=len(run.accepted))
        cpu = meter.stop()
        notes = []
        if errors := self.server.errors_logged() - errors_before:
            notes.append(f"{errors} error lines in the server log")
        if self._postgres_started() != postgres_before:
            notes.append("PostgreSQL was restarted during the run (not by the benchmark)")
        measured = figures(run, label=label, cpu=cpu, arrivals=arrivals, notes=tuple(notes))
        print(table_row(self.name, measured, None), file=sys.stderr, flush=True)
        return measured

    def _postgres_started(self) -> str | None:
        return postgres_started_at(self.args.postgres_url) if self.postgres_database else None

    def _webhooks(self, *, expected: int) -> list[Arrival] | None:
        """Wait until `expected` webhooks came, none came for 5 s, or --drain passed; None
        when there is no receiver to ask."""
        if self.receiver is None:
            return None
        deadline = time.monotonic() + self.args.drain
        seen, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = self.receiver.count()
            if count >= expected:
                break
            if count != seen:
                seen, since = count, time.monotonic()
            elif time.monotonic() - since > 5:
                break
            time.sleep(0.1)
        return self.receiver.collect()


def overgang_bench(args: argparse.Namespace, workdir: Path, receiver: ReceiverProcess) -> Bench:
    """Overgang on a fresh database with the partners registered through its CLI."""
    url = fresh_database(args.database, workdir=workdir, postgres_url=args.postgres_url)
    env = {
        **os.environ,
        "OVERGANG_DATABASE_URL": url,
        "OVERGANG_ALLOW_INSECURE_WEBHOOKS": "1",
        "OVERGANG_LOG_LEVEL": "WARNING",
        "OVERGANG_RUN_WORKER": "false" if args.no_webhooks else "true",
        # A throwaway key for a throwaway database: webhook secrets are sealed at rest.
        "OVERGANG_SECRET_KEYS": f"bench:{new_key()}",
    }
    token = register_partners(env=env, webhook_url=receiver.url)
    server = overgang_server(
        env=env,
        workers=args.server_workers,
        threads=args.server_threads,
        senders=0 if args.no_webhooks else args.senders,
        log_path=workdir / f"overgang-{args.database}.log",
        command=args.server_command,
    )
    bench = Bench(
        args,
        name=args.database,
        server=server,
        headers=_headers(token),
        receiver=None if args.no_webhooks else receiver,
    )
    if args.database == "postgresql":
        bench.postgres_database = make_url(url).database
    return bench


def ceiling_bench(args: argparse.Namespace, workdir: Path) -> Bench:
    env = {**os.environ, "OVERGANG_LOG_LEVEL": "WARNING"}
    server = ceiling_server(
        env=env,
        workers=args.server_workers,
        threads=args.server_threads,
        log_path=workdir / "ceiling.log",
    )
    return Bench(
        args, name="ceiling", server=server, headers=_headers("not-checked"), receiver=None
    )


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.code_version = code_version()  # before the run: others may commit meanwhile
    workdir = Path(tempfile.mkdtemp(prefix="overgang-bench-"))
    receiver = ReceiverProcess()
    receiver.start()
    try:
        overgang = overgang_bench(args, workdir, receiver)
        measured = overgang.run()
        ceiling = [] if args.no_ceiling else ceiling_bench(args, workdir).run()
    finally:
        receiver.stop()
        if args.keep:
            print(f"server logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    section = render(args, measured, ceiling, overgang.quiet)
    print(section)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write(section + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
