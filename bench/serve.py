"""Serve the ceiling app with the uvicorn settings of `overgang serve` (log_config=None and JSON
logs, graceful shutdown of 20 s, uvloop and httptools, as many request threads as Overgang's
OVERGANG_REQUEST_THREADS); or Overgang with its webhook sender in processes of its own.

    python -m bench.serve ceiling --port 8100 [--workers 2] [--threads 8]
    python -m bench.serve overgang --port 8100 --workers 2 --senders 1   # OVERGANG_* from env

`--senders N` runs the webhook sender as N `overgang worker` processes, children of this one (so
the benchmark counts their CPU with the server's), instead of a thread in each API process.
Without senders the benchmark runs `overgang serve --workers N` itself.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio.to_thread
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from overgang.config import Settings
from overgang.logs import configure_logging

THREADS_VARIABLE = "BENCH_SERVER_THREADS"  # read by each worker process


def limit_threads(app: ASGIApp, threads: int) -> ASGIApp:
    """`app`, with at most `threads` threads for synchronous routes and dependencies."""

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await app(scope, receive, send)

    return limited


def overgang_app() -> ASGIApp:
    """The app `overgang serve --workers N` runs, made in each worker process."""
    from overgang.api.app import app_from_environment

    return app_from_environment()


def ceiling_app() -> ASGIApp:
    from bench.ceiling import app

    threads = os.environ.get(THREADS_VARIABLE) or Settings().request_threads
    return limit_threads(app, int(threads))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["ceiling", "overgang"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, help="request threads (OVERGANG_REQUEST_THREADS)")
    parser.add_argument("--senders", type=int, default=0, help="`overgang worker` processes")
    args = parser.parse_args(argv)
    if args.threads:
        os.environ[THREADS_VARIABLE] = os.environ["OVERGANG_REQUEST_THREADS"] = str(args.threads)
    senders = []
    if args.senders:
        os.environ["OVERGANG_RUN_WORKER"] = "false"
        overgang = str(Path(sys.executable).with_name("overgang"))
        senders = [
            subprocess.Popen([overgang, "worker"])  # noqa: S603 - this benchmark's own command
            for _ in range(args.senders)
        ]
    configure_logging(Settings().log_level)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            f"bench.serve:{args.app}_app",
            factory=True,
            workers=args.workers,
            host="127.0.0.1",
            port=args.port,
            log_config=None,
            timeout_graceful_shutdown=20,
        )
    finally:
        for sender in senders:
            sender.terminate()
            sender.wait(timeout=30)


if __name__ == "__main__":
    main()
