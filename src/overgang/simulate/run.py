"""A whole simulation: the stays of the window, their requests in simulated-time order, the
municipalities' side, and the server (its own, in-process on a loopback port, or another)."""

from __future__ import annotations

import heapq
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx

from overgang.config import Settings
from overgang.listen.listener import Counts
from overgang.simulate.driver import Sent, drive
from overgang.simulate.messages import MessageBuilder, Outgoing
from overgang.simulate.municipal import MunicipalSide, Observed
from overgang.simulate.partners import Credentials
from overgang.simulate.region import Region
from overgang.simulate.stays import COPENHAGEN, generate_stays
from overgang.simulate.story import Stay


@dataclass(frozen=True)
class Plan:
    """The simulation to run: the region's stays in the window ending at `end`."""

    region: Region
    seed: int
    weeks: int
    end: datetime
    share: float = 1.0  # of the region's admissions

    @property
    def start(self) -> datetime:
        return self.end - timedelta(weeks=self.weeks)

    def stays(self) -> list[Stay]:
        return generate_stays(
            self.region,
            start=self.start.astimezone(COPENHAGEN).date(),
            end=self.end,
            rng=random.Random(self.seed),  # noqa: S311 - a reproducible simulation, no secret
            share=self.share,
        )

    def requests(self, stays: list[Stay]) -> Iterator[Outgoing]:
        """Every request up to `end`, in simulated-time order (built as they are sent)."""
        builder = MessageBuilder(self.seed)
        merged = heapq.merge(
            *(builder.requests(stay) for stay in stays),
            key=lambda r: (r.at, int(r.stay), r.step),
        )
        return (request for request in merged if request.at <= self.end)


@dataclass
class Result:
    stays: list[Stay]
    sent: Sent
    observed: Observed
    taken: Counts
    seconds: float


def run(
    plan: Plan,
    *,
    client: httpx.Client,
    credentials: Credentials,
    webhooks: bool = True,
    skip: frozenset[str] = frozenset(),
    progress: Callable[[Outgoing], None] = lambda _: None,
) -> Result:
    """Play the plan against the API behind `client`; the municipalities in `skip` take no
    messages (someone else reads their inbox)."""
    region = credentials.applied_to(plan.region)
    plan = replace(plan, region=region)
    stays = plan.stays()
    side = MunicipalSide(
        client=client, region=region, credentials=credentials,
        rng=random.Random(plan.seed + 1), webhooks=webhooks, skip=skip,  # noqa: S311
    )  # fmt: skip
    began = time.monotonic()
    try:
        side.open()
        sent = drive(
            plan.requests(stays), client=client, credentials=credentials, municipalities=side,
            progress=progress,
        )  # fmt: skip
        side.finish()
    finally:
        side.close()
    return Result(stays, sent, side.observed, side.totals(), time.monotonic() - began)


@contextmanager
def local_server(settings: Settings) -> Iterator[str]:
    """Overgang (API and webhook sender) in this process on a free loopback port, until the
    block ends."""
    import uvicorn

    from overgang.api.app import create_app

    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:  # uvicorn offers no event to wait on
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        listening.close()
