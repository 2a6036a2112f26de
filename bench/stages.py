"""What one message costs, stage by stage, with no HTTP and no concurrency: the bearer-token
lookup (from the database, and as the server does it: remembered for a few seconds), reading
the FHIR message, `process_message` as a whole, and one webhook delivery; and how many SQL
statements and commits each makes. The floor under the server's CPU per message.

    .venv/bin/python -m bench.stages --database sqlite [--messages 300]
    .venv/bin/python -m bench.stages --database postgresql   # drops, makes overgang_bench_stages
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.messages import Message, stays, take
from bench.receiver import ReceiverProcess
from bench.servers import (
    AALBORG_CODE,
    AALBORG_GLN,
    AALBORG_SOR,
    HOSPITAL_GLN,
    HOSPITAL_SOR,
    fresh_database,
)
from overgang.checklist import default_checklist_dir, load_checklists
from overgang.config import Settings
from overgang.delivery.outbox import deliver_due
from overgang.delivery.secret_keys import new_key
from overgang.delivery.sender import make_client
from overgang.fhir.decode import decode_body
from overgang.fhir.read import read_message
from overgang.service import partners, webhooks
from overgang.service.audit import AuditContext
from overgang.service.caller import Caller, CallerCache, authenticate, authenticate_cached
from overgang.service.process import process_message
from overgang.storage.db import create_db_engine, session_factory, transaction, upgrade_database

FHIR_JSON = "application/fhir+json"
# Not the benchmark's database, so that both can run at once.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://overgang:overgang@127.0.0.1:5432/overgang_bench_stages"


class Stages:
    """A fresh database with the partners and a webhook, and the calls the server makes."""

    def __init__(self, url: str, webhook_url: str) -> None:
        upgrade_database(url)
        self.settings = Settings(
            database_url=url, allow_insecure_webhooks=True, secret_keys=f"bench:{new_key()}"
        )
        self.engine = create_db_engine(url)
        self.sessions = session_factory(self.engine)
        self.checklists = load_checklists(default_checklist_dir())
        now = datetime.now(UTC)
        partners.register_hospital(
            sessions=self.sessions, now=now, sor=HOSPITAL_SOR, gln=HOSPITAL_GLN, name="S4"
        )
        partners.register_municipality(
            sessions=self.sessions,
            now=now,
            name=None,
            code=AALBORG_CODE,
            sor=AALBORG_SOR,
            gln=AALBORG_GLN,
        )
        self.token = partners.create_client(
            sessions=self.sessions, org=HOSPITAL_SOR, name="EPJ", now=now
        ).token
        webhooks.register_endpoint(
            sessions=self.sessions,
            municipality=AALBORG_CODE,
            url=webhook_url,
            settings=self.settings,
            now=now,
        )
        self.callers = CallerCache(ttl_seconds=self.settings.token_cache_seconds)
        self.caller = self.authenticate()
        self.statements: Counter[str] = Counter()
        self.stage = "set-up"
        event.listen(self.engine, "before_cursor_execute", self._count)
        event.listen(
            self.engine, "commit", lambda _: self.statements.update([f"{self.stage}:commit"])
        )

    def _count(self, *_: Any) -> None:
        self.statements[f"{self.stage}:statement"] += 1

    def authenticate(self) -> Caller:
        with transaction(self.sessions) as session:
            return authenticate(session=session, token=self.token)

    def authenticate_cached(self) -> Caller:
        """What the server does per request: the lookup above, remembered for a few seconds."""
        return authenticate_cached(sessions=self.sessions, cache=self.callers, token=self.token)

    def read(self, message: Message) -> None:
        document = decode_body(message.body, FHIR_JSON, max_depth=self.settings.max_json_depth)
        read_message(document, now=datetime.now(UTC), max_future_skew=timedelta(minutes=5))

    def process(self, message: Message) -> None:
        outcome = process_message(
            sessions=self.sessions,
            caller=self.caller,
            body=message.body,
            content_type=FHIR_JSON,
            settings=self.settings,
            checklists=self.checklists,
            audit=AuditContext(at=datetime.now(UTC), request_id=None, client_address="127.0.0.1"),
            now=datetime.now(UTC),
        )
        if outcome.status != 200:
            raise RuntimeError(f"message refused: {outcome.resource}")

    def deliver_all(self, expected: int) -> int:
        """Send every pending webhook as the server's sender does (8 threads); how many."""
        sent = 0
        with (
            make_client(connect_timeout=5, read_timeout=15) as client,
            ThreadPoolExecutor(max_workers=self.settings.worker_concurrency) as pool,
        ):
            while sent < expected:
                round_sent = deliver_due(
                    sessions=self.sessions,
                    settings=self.settings,
                    client=client,
                    pool=pool,
                    clock=lambda: datetime.now(UTC),
                    rng=random.Random(),  # noqa: S311 - jitter
                )
                if not round_sent:
                    break
                sent += round_sent
        return sent


def timed(stages: Stages, name: str, call: Callable[[], object], count: int) -> str:
    """Run `call` `count` times under stage `name`; wall and CPU ms per call, statements."""
    stages.stage = name
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    statements = stages.statements[f"{name}:statement"] / count
    commits = stages.statements[f"{name}:commit"] / count
    return (
        f"| {name} | {wall * 1000 / count:.2f} | {cpu * 1000 / count:.2f} "
        f"| {statements:.1f} | {commits:.1f} |"
    )


def each(items: Iterable[Message], call: Callable[[Message], object]) -> Callable[[], None]:
    def run() -> None:
        for item in items:
            call(item)

    return run


def measure(stages: Stages, count: int) -> list[str]:
    """The table rows: each stage over `count` fresh messages, after a warm-up."""
    messages = stays(now=datetime.now(UTC), block=20)
    warm, batch = take(messages, 30), take(messages, count)
    each(warm, stages.process)()
    stages.deliver_all(len(warm))
    kinds = {
        kind: [m for m in batch if m.kind == kind] for kind in dict.fromkeys(m.kind for m in batch)
    }
    rows = [
        timed(stages, "token lookup", each(batch, lambda _: stages.authenticate()), count),
        timed(
            stages,
            "token lookup, cached",
            each(batch, lambda _: stages.authenticate_cached()),
            count,
        ),
        timed(stages, "FHIR decode + read", each(batch, stages.read), count),
    ]
    rows += [
        timed(stages, f"process_message: {kind}", each(items, stages.process), len(items))
        for kind, items in kinds.items()
    ]
    rows.append(timed(stages, "webhook delivery", lambda: stages.deliver_all(count), count))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args(argv)
    receiver = ReceiverProcess()
    receiver.start()
    try:
        with tempfile.TemporaryDirectory(prefix="overgang-stages-") as workdir:
            url = fresh_database(
                args.database, workdir=Path(workdir), postgres_url=args.postgres_url
            )
            stages = Stages(url, receiver.url)
            try:
                rows = measure(stages, args.messages)
            finally:
                stages.engine.dispose()
    finally:
        receiver.stop()
    print(f"### Stages, {args.database}, {args.messages} messages, one at a time\n")
    print("| stage | wall ms | CPU ms | SQL statements | commits |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
