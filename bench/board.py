"""Time each board service function against a simulated region's database (not a test).

Make the database once (about 20 minutes for a year of Region Nordjylland), then time:

    OVERGANG_DATABASE_URL=sqlite:///year.db overgang simulate --region DK-81 --weeks 52 \\
        --seed 7 --end 2026-03-01
    .venv/bin/python -m bench.board --database-url sqlite:///year.db --today 2026-03-01

Each function runs `--repeat` times; the table shows the fastest and the median wall time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as clock

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from overgang.domain.visibility import Scope
from overgang.service import live_lists as board
from overgang.service.figures import board_figures, figure_csv, figure_table
from overgang.storage.db import create_db_engine, session_factory, upgrade_database
from overgang.storage.models import Episode, Organisation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    upgrade_database(args.database_url)  # the board's indexes (0009)
    sessions = session_factory(create_db_engine(args.database_url))
    with sessions() as session:
        owner = session.scalars(select(Episode.owner).limit(1)).one()
        largest = session.execute(  # the municipality with the most episodes
            select(Organisation.id, Organisation.name)
            .join(Episode, Episode.municipality_organisation_id == Organisation.id)
            .group_by(Organisation.id, Organisation.name)
            .order_by(func.count(Episode.id).desc())
            .limit(1)
        ).one()
        episodes = len(session.scalars(select(Episode.id)).all())
    today, now = args.today, datetime.combine(args.today, clock(12), UTC)
    scopes = {f"owner {owner}": Scope.owned_by(owner), largest[1]: Scope.residents_of(largest[0])}
    print(f"{episodes} episodes; today {today}; {args.repeat} runs each\n")
    print(f"{'function':<44} {'scope':<22} {'fastest ms':>10} {'median ms':>10}")
    for name, scope in scopes.items():
        calls: dict[str, Callable[[], object]] = {
            "board_figures (all 13 figures, by region)": lambda s=scope: board_figures(
                sessions=sessions, scope=s, today=today
            ),
            "figure_table readmission-30d by ward": lambda s=scope: figure_table(
                sessions=sessions, scope=s, figure_id="readmission-30d", today=today, by="ward"
            ),
            "figure_csv checklist-item": lambda s=scope: figure_csv(
                sessions=sessions, scope=s, figure_id="checklist-item", today=today
            ),
            "admitted_now": lambda s=scope: _read(sessions, board.admitted_now, scope=s),
            "expected_discharges": lambda s=scope: _read(
                sessions, board.expected_discharges, scope=s, now=now
            ),
            "waiting_for_municipality": lambda s=scope: _read(
                sessions, board.waiting_for_municipality, scope=s, today=today
            ),
            "undelivered_messages": lambda s=scope: _read(
                sessions, board.undelivered_messages, scope=s
            ),
        }
        for label, call in calls.items():
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"{label:<44} {name[:22]:<22} {min(times):>10.0f} {statistics.median(times):>10.0f}"
            )


def _read(
    sessions: sessionmaker[Session], live_list: Callable[..., object], **args: object
) -> object:
    """A live list reads in its caller's session (the board's audited transaction)."""
    with sessions() as session:
        return live_list(session=session, **args)


if __name__ == "__main__":
    main()
