"""`overgang serve` and `overgang worker` as real subprocesses, each logging to its own file.

Each runs in a process group of its own, so that ending it also ends what it started
(`serve --workers N` runs its API in N child processes). Every wait is on a condition the
process shows (its log, its answers) with a deadline long enough for a loaded machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import httpx

OVERGANG = str(Path(sys.executable).parent / "overgang")
# Starting takes about 2 s; on a busy shared machine many times that.
START_TIMEOUT = 120.0
TCP_LISTEN = "0A"  # the state column of /proc/net/tcp


def _tcp_sockets() -> list[list[str]]:
    """The rows of the kernel's TCP socket tables (Linux: /proc)."""
    return [
        line.split()
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        for line in Path(table).read_text().splitlines()[1:]
    ]


def _open_files(pid: int) -> set[str]:
    names: set[str] = set()
    with suppress(FileNotFoundError):  # the process has ended
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):  # closed meanwhile
                names.add(os.readlink(fd))
    return names


def connection_owner(port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the TCP socket on local port `port` (Linux: /proc)."""
    sockets = {
        f"socket:[{fields[9]}]"
        for fields in _tcp_sockets()
        if int(fields[1].rsplit(":", 1)[1], 16) == port
    }
    for pid in pids:
        if _open_files(pid) & sockets:
            return pid
    return None


def listening_port(pid: int) -> int | None:
    """The TCP port process `pid` listens on, once it does (Linux: /proc)."""
    files = _open_files(pid)
    for fields in _tcp_sockets():
        if fields[3] == TCP_LISTEN and f"socket:[{fields[9]}]" in files:
            return int(fields[1].rsplit(":", 1)[1], 16)
    return None


class OvergangProcess:
    """One `overgang` command running in the background; `kill` is SIGKILL, `stop` is SIGTERM."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.args = args
        self.env = env
        self.log_path = log_path
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> OvergangProcess:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                [OVERGANG, *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process and all it started: no shutdown handler, no flush, no lease
        given back. Also ends children left behind by a process that has exited."""
        if self.popen is None:
            return
        with suppress(ProcessLookupError):  # the whole group has gone already
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not ended within `timeout`; its exit code if it did."""
        if self.popen is None:
            return None
        if self.running:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def wait(self, timeout: float) -> int:
        """Until the process ends by itself; its exit code."""
        assert self.popen is not None
        return self.popen.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        """Until `condition()` holds; fails at once, with the log, if the process has ended."""
        deadline = time.monotonic() + timeout
        while not condition():
            if not self.running:
                raise AssertionError(f"overgang {self.args[0]} exited:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} after {timeout} s:\n{self.log_tail()}")
            time.sleep(0.1)


class Server(OvergangProcess):
    """`overgang serve` on a loopback port. Without a port it takes one the system picks when it
    binds (none is free until then: a port probed beforehand may be gone by then); a restart
    can then keep the port it got."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log_path: Path,
        worker: bool,
        port: int | None = None,
        processes: int = 1,
    ) -> None:
        self.port = port or 0
        self.processes = processes
        args = ["serve", "--port", str(self.port), "--workers", str(processes)]
        super().__init__(args + ([] if worker else ["--no-worker"]), env=env, log_path=log_path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until every API process has started and /readyz answers 200."""
        deadline = time.monotonic() + timeout
        if not self.port:
            self.wait_for(lambda: listening_port(self.pid) is not None, "port", timeout)
            self.port = listening_port(self.pid) or 0
        if self.processes > 1:
            # Any one of them answers /readyz; uvicorn logs (at INFO) when each one is up.
            self.wait_for(
                lambda: self.log().count("Application startup complete") >= self.processes,
                f"start-up of {self.processes} API processes",
                deadline - time.monotonic(),
            )
        self.wait_for(self._ready, "200 from /readyz", deadline - time.monotonic())

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False


class Processes:
    """Starts the processes of one test and ends every one of them when the `with` block ends,
    however it ends."""

    def __init__(self, *, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[OvergangProcess] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_: object) -> None:
        self.end_all()

    def serve(
        self,
        env: dict[str, str],
        *,
        worker: bool = True,
        port: int | None = None,
        processes: int = 1,
    ) -> Server:
        server = Server(
            env=env, log_path=self._log("serve"), worker=worker, port=port, processes=processes
        )
        self.started.append(server.start())
        server.wait_ready()
        return server

    def worker(self, env: dict[str, str]) -> OvergangProcess:
        return self.start("worker", env=env)

    def start(self, *args: str, env: dict[str, str]) -> OvergangProcess:
        """`overgang <args>`, not waiting for anything."""
        process = OvergangProcess(list(args), env=env, log_path=self._log(args[0]))
        self.started.append(process.start())
        return process

    def end_all(self) -> None:
        for process in self.started:
            process.stop(timeout=5)
        for process in self.started:
            process.kill()

    def _log(self, name: str) -> Path:
        return self.log_dir / f"{name}-{len(self.started)}.log"
