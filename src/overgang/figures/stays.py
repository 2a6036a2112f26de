"""Stays as figures.md builds them (eSundhed's "sygehusophold"): episodes of one citizen at
most 4 hours apart are one stay; an index discharge ends a stay of 12 hours or more, alive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from overgang.checklist.calendar import WorkCalendar, local, local_date, same_wall_clock_later
from overgang.figures.rows import EpisodeRow

MERGE_GAP: Final = timedelta(hours=4)
MINIMUM_STAY: Final = timedelta(hours=12)
AFTERNOON: Final = time(12)
FOLLOW_UP_STATUSES: Final = frozenset({"booked", "fulfilled"})


@dataclass(frozen=True)
class Stay:
    episodes: tuple[EpisodeRow, ...]  # in order of admission; the last one ended the stay

    @property
    def last(self) -> EpisodeRow:
        return self.episodes[-1]

    @property
    def admitted_at(self) -> datetime:
        first = self.episodes[0].admitted_at
        assert first is not None  # merge_stays keeps only admitted episodes
        return first

    @property
    def ended_at(self) -> datetime | None:
        return self.last.ended_at

    @property
    def discharged_alive(self) -> bool:
        return self.ended_at is not None and not self.last.died

    @property
    def is_index_discharge(self) -> bool:
        ended = self.ended_at
        return (
            self.discharged_alive
            and ended is not None
            and ended - self.admitted_at >= (MINIMUM_STAY)
        )


def merge_stays(episodes: Iterable[EpisodeRow]) -> list[list[Stay]]:
    """Each citizen's stays in order of admission. Cancelled episodes and episodes known only
    from a plan (no admission) are no stays; an episode without a citizen is its own."""
    by_citizen: dict[str, list[EpisodeRow]] = defaultdict(list)
    alone: list[list[Stay]] = []
    for episode in episodes:
        if episode.admitted_at is None or episode.state == "cancelled":
            continue
        if episode.citizen is None:
            alone.append([Stay((episode,))])
        else:
            by_citizen[episode.citizen].append(episode)
    citizens = []
    for rows in by_citizen.values():
        rows.sort(key=lambda row: row.admitted_at or datetime.min)
        stays: list[list[EpisodeRow]] = [[rows[0]]]
        for row in rows[1:]:
            current = stays[-1]
            ends = [e.ended_at for e in current]
            # An open episode, or one ended at most 4 hours before: a transfer, the same stay.
            if any(end is None for end in ends) or (
                row.admitted_at is not None
                and row.admitted_at <= max(e for e in ends if e is not None) + MERGE_GAP
            ):
                current.append(row)
            else:
                stays.append([row])
        citizens.append([Stay(_ordered(group)) for group in stays])
    return citizens + alone


def _ordered(group: list[EpisodeRow]) -> tuple[EpisodeRow, ...]:
    # The stay ends with the episode that ended last (an open one ends nothing yet).
    if any(e.ended_at is None for e in group):
        return tuple(sorted(group, key=lambda e: (e.ended_at is None, e.admitted_at)))
    return tuple(sorted(group, key=lambda e: (e.ended_at or datetime.min, e.admitted_at)))


def days_to_readmission(stays: Sequence[Stay], index: int) -> int | None:
    """Local calendar days from stay `index`'s discharge date to the next stay's admission
    date, or None when the citizen was not admitted again (as far as Overgang has seen)."""
    ended = stays[index].ended_at
    if ended is None or index + 1 >= len(stays):
        return None
    return (local_date(stays[index + 1].admitted_at) - local_date(ended)).days


def follow_up_within(stay: Stay, days: int) -> bool:
    """A follow-up appointment, booked or fulfilled, after the discharge and no later than the
    same Copenhagen wall-clock time `days` days later (checklist.md's `follow-up-booked`)."""
    ended = stay.ended_at
    if ended is None:
        return False
    latest = same_wall_clock_later(ended, days=days)
    return any(
        a.kind == "follow-up"
        and a.status in FOLLOW_UP_STATUSES
        and a.start is not None
        and ended < a.start <= latest
        for a in stay.last.appointments
    )


def closed_day_discharge(moment: datetime, calendar: WorkCalendar) -> str | None:
    """Why a discharge at `moment` is a weekend/holiday discharge (checklist.md's
    `no-weekend-discharge`): the day is closed, or it is at or after 12:00 on the day before a
    closed day (a Friday, or the eve of a holiday). None for an ordinary discharge."""
    day = local_date(moment)
    closed = calendar.closed_reason(day)
    if closed:
        return closed
    next_closed = calendar.closed_reason(day + timedelta(days=1))
    if next_closed and local(moment).time() >= AFTERNOON:
        return f"eftermiddag før {next_closed}"
    return None


def month_of(moment: datetime) -> str:
    """The local (Europe/Copenhagen) month of `moment`, as "YYYY-MM"."""
    day = local_date(moment)
    return f"{day.year:04d}-{day.month:02d}"


def month_end(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return following - timedelta(days=1)
