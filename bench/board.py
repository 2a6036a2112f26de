"""Time the board's pages over HTTP as a signed-in person, against a simulated region (not a test).

Make the database once (about 20 minutes for a year of Region Nordjylland), then time:

    OVERGANG_DATABASE_URL=sqlite:///year.db overgang simulate --region DK-81 --weeks 52 \\
        --seed 7 --end 2026-03-01
    .venv/bin/python -m bench.board --database-url sqlite:///year.db

`overgang serve` runs in a process of its own; a person of the region signs in with the forms,
then each page is asked for `--requests` times in a row. The table shows the first answer and
p50/p95 of the rest. A page that does not answer 200 on this branch is skipped with a note.

Then "new data" `--rounds` times: one episode's `updated_at` is set to now (which changes the
figures' data version and nothing any figure counts), and the overview is asked for at once
(the worst case: a viewer right after a message, who waits for the computation) and, after new
data again, once the background warmer has had its interval (`board.WARM_EVERY_SECONDS`) and
a computation's time to catch up. The database is migrated and gets one more person and those
timestamps; nothing else in it changes.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import select, update

from bench.servers import overgang_server
from overgang.board import WARM_EVERY_SECONDS
from overgang.cli.common import use_development_secret_keys
from overgang.figures.definitions import FIGURES
from overgang.service import people
from overgang.service.figures import FigureCache
from overgang.storage.db import create_db_engine, session_factory, upgrade_database
from overgang.storage.models import Episode

PASSWORD = secrets.token_urlsafe(24)  # the benchmark person's, never used again
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FIGURE_PAGES = (
    "/board/tal",
    "/board/tal/readmission-30d",
    "/board/tal/readmission-30d?gruppe=kommune",
    "/board/tal/checklist-item?gruppe=afdeling",
    "/board/tal/answer-time?gruppe=kommune",
    "/board/tal/waiting-days?gruppe=afdeling",
    "/board/tal/checklist-item/csv",
)
LIVE_PAGES = ("/board", "/board/udskrivninger", "/board/venter", "/board/beskeder")


class Person:
    """Forms and cookies by hand: the board's `__Host-` cookies are Secure, and an HTTP client
    keeps those for https only, while the server listens on plain loopback HTTP."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **fields: str) -> httpx.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        answer = self.client.request(
            method, path, data=fields or None, headers={"cookie": cookie} if cookie else {}
        )
        for header in answer.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def sign_in(self, email: str, secret: str) -> None:
        token = _CSRF.search(self.request("GET", "/login").text)
        assert token is not None
        self.request("POST", "/login", email=email, secret=secret, csrf_token=token.group(1))
        token = _CSRF.search(self.request("GET", "/login/adgangskode").text)
        assert token is not None
        answer = self.request(
            "POST",
            "/login/adgangskode",
            password=PASSWORD,
            repeated=PASSWORD,
            csrf_token=token.group(1),
        )
        assert answer.headers.get("location") == "/board", answer.text


def a_person(database_url: str) -> tuple[str, str, str]:
    """A new coordinator of the region that owns the most episodes: email, secret, a stay."""
    sessions = session_factory(create_db_engine(database_url))
    with sessions() as session:
        owner, episode_id = session.execute(select(Episode.owner, Episode.id).limit(1)).one()
    email = f"bench-{time.time_ns()}@region.dk"
    added = people.add_person(
        sessions=sessions,
        email=email,
        name="Måling",
        org=owner,
        role="coordinator",
        now=datetime.now(UTC),
    )
    return email, added.one_time_secret, f"/board/ophold/{episode_id}"


def recompute(database_url: str, *, runs: int) -> list[float]:
    """What the first figures page after new data waits for: every figure computed afresh
    (in this process, without HTTP), in ms."""
    sessions = session_factory(create_db_engine(database_url))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        FigureCache().many(
            sessions=sessions, figure_ids=list(FIGURES), by="region", today=date.today()
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def new_data(database_url: str) -> None:
    """Change the figures' data version and nothing they count: one episode looks updated."""
    sessions = session_factory(create_db_engine(database_url))
    with sessions() as session:
        episode_id = session.execute(select(Episode.id).limit(1)).scalar_one()
        session.execute(
            update(Episode).where(Episode.id == episode_id).values(updated_at=datetime.now(UTC))
        )
        session.commit()


def after_new_data(person: Person, database_url: str, *, rounds: int) -> None:
    """The overview's answer right after new data, and once the warmer has caught up, in ms."""
    at_once: list[float] = []
    later: list[float] = []
    for _ in range(rounds):
        for wait, times in ((0.0, at_once), (WARM_EVERY_SECONDS + 3.0, later)):
            new_data(database_url)
            time.sleep(wait)
            started = time.perf_counter()
            assert person.request("GET", "/board/tal").status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    for name, times in (
        ("at once", at_once),
        (f"{WARM_EVERY_SECONDS + 3.0:.0f} s later", later),
    ):
        print(
            f"/board/tal after new data, {name} ({rounds} rounds): "
            f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30, help="requests per page")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of new data")
    args = parser.parse_args()
    upgrade_database(args.database_url)
    email, secret, stay = a_person(args.database_url)
    os.environ["OVERGANG_DATABASE_URL"] = args.database_url
    use_development_secret_keys()  # a simulation's SQLite file: its keys beside it, as `simulate`
    env = dict(os.environ)
    env |= {"OVERGANG_LOG_LEVEL": "WARNING", "OVERGANG_RUN_WORKER": "false"}
    with tempfile.TemporaryDirectory() as folder:
        server = overgang_server(
            env=env, workers=1, threads=None, senders=0, log_path=Path(folder) / "server.log"
        )
        server.start()
        try:
            person = Person(server.base_url)
            person.sign_in(email, secret)
            print(f"{'page':<46} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}")
            for path in (*FIGURE_PAGES, *LIVE_PAGES, stay):
                started = time.perf_counter()
                first = person.request("GET", path)
                first_ms = (time.perf_counter() - started) * 1000
                if first.status_code != 200:
                    print(f"{path[:46]:<46} skipped: answered {first.status_code}")
                    continue
                times = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    answer = person.request("GET", path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code)
                p95 = statistics.quantiles(times, n=20)[18]
                label = "/board/ophold/{id}" if path == stay else path
                print(f"{label:<46} {first_ms:>9.0f} {statistics.median(times):>8.0f} {p95:>8.0f}")
            after_new_data(person, args.database_url, rounds=args.rounds)
        finally:
            server.stop()
    times = recompute(args.database_url, runs=5)
    print(
        f"every figure recomputed after new data (in process, {len(times)} runs): "
        f"fastest {min(times):.0f} ms, median {statistics.median(times):.0f} ms"
    )


if __name__ == "__main__":
    main()
