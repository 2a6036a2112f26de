"""`overgang serve` and `overgang worker` as real subprocesses, each logging to its own file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

OVERGANG = str(Path(sys.executable).parent / "overgang")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connection_owner(port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the TCP socket on local port `port` (Linux: /proc)."""
    sockets = {
        f"socket:[{fields[9]}]"
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        for fields in (line.split() for line in Path(table).read_text().splitlines()[1:])
        if int(fields[1].rsplit(":", 1)[1], 16) == port
    }
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in sockets:
                    return pid
            except OSError:
                continue  # closed meanwhile
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
                [OVERGANG, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT
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
        """SIGKILL: no shutdown handler, no flush, no lease given back."""
        if self.popen is not None and self.running:
            self.popen.send_signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or not self.running:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Server(OvergangProcess):
    """`overgang serve` on a loopback port; the port stays the same across restarts."""

    def __init__(
        self, *, env: dict[str, str], log_path: Path, worker: bool, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        args = ["serve", "--port", str(self.port)] + ([] if worker else ["--no-worker"])
        super().__init__(args, env=env, log_path=log_path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise AssertionError(f"overgang serve exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"overgang serve not ready after {timeout} s:\n{self.log_tail()}")


class Processes:
    """Starts the processes of one test and ends every one of them at teardown."""

    def __init__(self, *, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[OvergangProcess] = []

    def serve(self, env: dict[str, str], *, worker: bool = True, port: int | None = None) -> Server:
        server = Server(env=env, log_path=self._log("serve"), worker=worker, port=port)
        self.started.append(server.start())
        server.wait_ready()
        return server

    def worker(self, env: dict[str, str]) -> OvergangProcess:
        process = OvergangProcess(["worker"], env=env, log_path=self._log("worker"))
        self.started.append(process.start())
        return process

    def end_all(self) -> None:
        for process in self.started:
            process.stop(timeout=5)
        for process in self.started:
            process.kill()

    def _log(self, name: str) -> Path:
        return self.log_dir / f"{name}-{len(self.started)}.log"
