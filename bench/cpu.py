"""Where the machine's CPU time went during a run, from /proc: the server under test, the
PostgreSQL backends, the load generator, the webhook receiver, and everyone else (a busy machine
makes the figures worse; the report says how busy it was)."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> tuple[str, float, list[int]]:
    """(command name, CPU seconds, child pids) of one process."""
    base = Path(f"/proc/{pid}")
    text = (base / "stat").read_text()
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    children = [
        int(child)
        for task in (base / "task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    return name, (int(fields[11]) + int(fields[12])) / TICKS, children


def tree_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants, threads included."""
    total, pending = 0.0, [pid]
    while pending:
        try:
            _, seconds, children = _stat(pending.pop())
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += seconds
        pending += children
    return total


def postgres_backends(database: str) -> dict[int, float]:
    """CPU time of each PostgreSQL backend connected to `database` (its process title names it);
    the server's shared background processes are left out."""
    backends = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                backends[int(entry.name)] = _stat(entry.name)[1]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return backends


def machine_seconds() -> float:
    """Busy CPU time of the whole machine so far (all cores, idle and iowait left out)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICKS


def own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent over an interval, by whom."""

    wall: float
    server: float
    postgres: float
    generator: float
    receiver: float
    machine: float

    @property
    def others(self) -> float:
        ours = self.server + self.postgres + self.generator + self.receiver
        return max(0.0, self.machine - ours)

    def share(self, seconds: float) -> float:
        """`seconds` as a share of all the machine's cores over the interval."""
        return seconds / (self.wall * (os.cpu_count() or 1))


class CpuMeter:
    """`start()` then `stop()`: the CPU each party used in between."""

    def __init__(
        self, *, server_pid: int, receiver_pid: int | None, postgres_database: str | None
    ) -> None:
        self.server_pid = server_pid
        self.receiver_pid = receiver_pid
        self.postgres_database = postgres_database
        self._start: tuple[float, ...] = ()
        self._backends: dict[int, float] = {}

    def _now(self) -> tuple[float, ...]:
        receiver = tree_seconds(self.receiver_pid) if self.receiver_pid else 0.0
        return (
            time.monotonic(),
            tree_seconds(self.server_pid),
            own_seconds(),
            receiver,
            machine_seconds(),
        )

    def _postgres(self) -> dict[int, float]:
        return postgres_backends(self.postgres_database) if self.postgres_database else {}

    def start(self) -> None:
        self._backends = self._postgres()
        self._start = self._now()

    def stop(self) -> CpuUse:
        end = self._now()
        wall, server, generator, receiver, machine = (
            after - before for after, before in zip(end, self._start, strict=True)
        )
        # A backend that exited in between (the pool closing an overflow connection) is lost:
        # the database's share is a lower bound.
        postgres = sum(
            seconds - self._backends.get(pid, 0.0) for pid, seconds in self._postgres().items()
        )
        return CpuUse(wall, server, postgres, generator, receiver, machine)


def wait_for_quiet(*, limit: float, busy_below: float = 0.25) -> float:
    """Wait (at most `limit` s) until the machine is less than `busy_below` busy over a second;
    return the last second's busy share."""
    deadline = time.monotonic() + limit
    while True:
        before, began = machine_seconds(), time.monotonic()
        time.sleep(1.0)
        busy = (machine_seconds() - before) / ((time.monotonic() - began) * (os.cpu_count() or 1))
        if busy < busy_below or time.monotonic() >= deadline:
            return busy
