"""A fresh database with the example partners, set up as an operator does (the `overgang` CLI),
and the server processes under test."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

OVERGANG = str(Path(sys.executable).parent / "overgang")
REPO = Path(__file__).resolve().parents[1]
# The example stay's partners (tests/fixtures/examples): a psychiatric ward and Aalborg Kommune.
HOSPITAL_SOR, HOSPITAL_GLN = "1144561000016002", "5790001382445"
AALBORG_CODE, AALBORG_SOR, AALBORG_GLN = "0851", "953741000016009", "5790001348120"


def run_cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [OVERGANG, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"overgang {' '.join(args[:2])} failed: {result.stderr[-2000:]}")
    return result.stdout


def fresh_database(database: str, *, workdir: Path, postgres_url: str) -> str:
    """The URL of an empty database: a new SQLite file, or the PostgreSQL one dropped and made
    again (its role needs CREATEDB)."""
    if database == "sqlite":
        return f"sqlite:///{workdir / 'overgang.db'}"
    url = make_url(postgres_url)
    if not url.database:
        raise ValueError("the PostgreSQL URL must name a database")
    name = sql.Identifier(url.database)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(name))
    return postgres_url


def register_partners(*, env: dict[str, str], webhook_url: str | None) -> str:
    """Migrate, register the ward and Aalborg (with a webhook unless `webhook_url` is None);
    return the ward's bearer token."""
    run_cli("db", "upgrade", env=env)
    run_cli(
        "org", "add-hospital", "--sor", HOSPITAL_SOR, "--gln", HOSPITAL_GLN,
        "--name", "Psykiatrien, Afsnit S4, Aalborg", env=env,
    )  # fmt: skip
    run_cli(
        "org", "add-municipality", "--code", AALBORG_CODE, "--sor", AALBORG_SOR,
        "--gln", AALBORG_GLN, env=env,
    )  # fmt: skip
    token = run_cli("client", "create", "--org", HOSPITAL_SOR, "--name", "EPJ", env=env)
    if webhook_url is not None:
        run_cli("webhook", "add", "--municipality", AALBORG_CODE, "--url", webhook_url, env=env)
    return token.splitlines()[-1]


def postgres_started_at(url: str) -> str | None:
    """When the PostgreSQL server last started (None when unreachable): a change during a run
    means someone restarted it, and the run's errors are not Overgang's."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(plain, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_postmaster_start_time()::text").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def code_version() -> str:
    """The commit under test, and whether src/ differs from it (others may be editing)."""

    def git(*args: str) -> str:
        result = subprocess.run(  # noqa: S603 - fixed git queries, read only
            ["git", "-C", str(REPO), *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (
        " with uncommitted changes in src/" if git("status", "--porcelain", "src") else ""
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A server process on a free loopback port; stderr (its JSON log) goes to `log_path`."""

    def __init__(self, command: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, *, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed commands of this benchmark
                self.command, env=self.env, stderr=log, stdout=log, cwd=REPO
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[:3]} exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.command[:3]} not ready after {timeout} s")

    def errors_logged(self) -> int:
        """Error lines in the server's JSON log so far."""
        if not self.log_path.exists():
            return 0
        with self.log_path.open("rb") as log:
            return sum(1 for line in log if b'"level":"error"' in line)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def overgang_server(
    *,
    env: dict[str, str],
    workers: int,
    threads: int | None,
    senders: int,
    log_path: Path,
    command: str | None = None,
) -> Server:
    """`overgang serve --workers N`; under `bench.serve` when the sender runs in processes of
    its own; or `command` (split on spaces, `{port}` filled in) to try something else."""
    if command:
        return Server(command.split(), env=env, log_path=log_path)
    if threads:
        env = {**env, "OVERGANG_REQUEST_THREADS": str(threads)}
    if not senders:
        serve = [OVERGANG, "serve", "--port", "{port}", "--workers", str(workers)]
        return Server(serve, env=env, log_path=log_path)
    serve = [sys.executable, "-m", "bench.serve", "overgang", "--port", "{port}"]
    serve += ["--workers", str(workers), "--senders", str(senders)]
    return Server(serve, env=env, log_path=log_path)


def ceiling_server(
    *, env: dict[str, str], workers: int, threads: int | None, log_path: Path
) -> Server:
    command = [sys.executable, "-m", "bench.serve", "ceiling", "--port", "{port}"]
    command += ["--workers", str(workers)] + (["--threads", str(threads)] if threads else [])
    return Server(command, env=env, log_path=log_path)
