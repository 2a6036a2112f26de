"""The load generator: keep-alive connections offering messages open-loop at a fixed rate, or
closed-loop as fast as the server answers (saturation).

Open loop: message i is due at t0 + i/rate whether or not earlier answers came back, and its
latency is counted from when it was due, so a server that falls behind cannot hide the wait
(no coordinated omission). `lag` says how late the generator itself started a request: when
it grows, the machine, not the server, is the limit of the measurement.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bench.clients import Poster
from bench.messages import Message


@dataclass(frozen=True)
class Sample:
    """One POST: when it was due, started and answered (CLOCK_MONOTONIC), and its status."""

    header_id: str
    due: float
    started: float
    finished: float
    status: int | None  # None: no answer (timeout, connection refused or reset); 0: not sent

    @property
    def latency(self) -> float:
        return self.finished - self.due

    @property
    def lag(self) -> float:
        return self.started - self.due


@dataclass(frozen=True)
class Run:
    """What one rate (or one saturation run) produced."""

    offered_rate: float | None  # None: closed loop
    began: float
    samples: list[Sample]

    @property
    def accepted(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 200]

    @property
    def errors(self) -> int:
        return len(self.samples) - len(self.accepted)

    @property
    def accepted_per_second(self) -> float:
        """Accepted answers per second, from the first due time to the last answer."""
        if not self.samples:
            return 0.0
        return len(self.accepted) / (max(s.finished for s in self.samples) - self.began)


async def _post(poster: Poster, message: Message, due: float) -> Sample:
    started = time.monotonic()
    status = await poster.post(message.body)
    return Sample(message.header_id, due, started, time.monotonic(), status)


async def open_loop(*, poster: Poster, messages: Sequence[Message], rate: float) -> Run:
    """Offer `messages` at `rate` per second, one due every 1/rate s; wait for every answer."""
    began = time.monotonic() + 0.05
    tasks = []
    for index, message in enumerate(messages):
        due = began + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_post(poster, message, due)))
    samples = await asyncio.gather(*tasks)
    await poster.aclose()
    return Run(offered_rate=rate, began=began, samples=list(samples))


async def closed_loop(
    *, poster: Poster, messages: Iterator[Message], duration: float, concurrency: int
) -> Run:
    """`concurrency` senders, each posting its next message as soon as the last is answered."""
    samples: list[Sample] = []
    began = time.monotonic()
    ends = began + duration

    async def sender() -> None:
        while time.monotonic() < ends:
            samples.append(await _post(poster, next(messages), time.monotonic()))

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    await poster.aclose()
    return Run(offered_rate=None, began=began, samples=samples)


async def warm_up(*, poster: Poster, messages: Iterator[Message], count: int) -> int:
    """A few messages before measuring (connections, caches, the first database pages)."""
    answers = [await _post(poster, next(messages), 0.0) for _ in range(count)]
    await poster.aclose()
    return sum(1 for a in answers if a.status == 200)
