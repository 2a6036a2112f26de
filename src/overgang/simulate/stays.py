"""The pure stay generator: a region's stays over a window of simulated time.

`generate_stays(region, start=..., end=..., rng=...)` draws first admissions day by day (a
Poisson number, at the hours admissions come), plays each stay to its end (`story.play_stay`),
and schedules readmissions of the same citizen after a discharge (figures.py). Nothing here
touches a clock, a database or the network: the same seed and window give the same stays.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from overgang.simulate import figures
from overgang.simulate.citizens import Citizen, CitizenRegister
from overgang.simulate.region import Region
from overgang.simulate.story import Stay, play_stay

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# When admissions come: few at night, most in the afternoon and evening (assumed).
LOOKBACK = timedelta(days=60)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the few tens of admissions a day."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def generate_stays(
    region: Region, *, start: date, end: datetime, rng: random.Random, share: float = 1.0
) -> list[Stay]:
    """Every stay admitted from `start` up to `end`, in order of admission. A stay may go on
    after `end`: its later steps are for the driver to leave out. `share` scales the region
    down (the demo plays a quarter of it)."""
    first_per_day = (
        share
        * figures.admissions_per_year(region.code)
        * (1 - figures.READMITTED_WITHIN_30_DAYS)
        / 365.25
    )
    citizens = CitizenRegister(rng)
    # (admission time, order, citizen, previous stay's key): a heap, so readmissions interleave.
    pending: list[tuple[datetime, int, Citizen, str | None]] = []
    order = 0
    # Admissions start LOOKBACK before the window, so that its first weeks already have the
    # readmissions of a region in its steady state; stays admitted before it are left out.
    for day in _days(start - LOOKBACK, end):
        for _ in range(poisson(rng, first_per_day)):
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            moment = datetime.combine(day, time(hour, rng.randrange(60)), COPENHAGEN)
            child_youth = rng.random() < figures.CHILD_YOUTH
            heapq.heappush(pending, (moment, order, citizens.new(child_youth=child_youth), None))
            order += 1
    stays: list[Stay] = []
    while pending:
        admitted_at, _, citizen, previous = heapq.heappop(pending)
        if admitted_at >= end:
            continue
        stay = play_stay(
            region, key=f"{len(stays)}", citizen=citizen, admitted_at=admitted_at,
            readmission_of=previous, rng=rng,
        )  # fmt: skip
        stays.append(stay)
        if stay.discharged_at is not None and rng.random() < figures.READMITTED_WITHIN_30_DAYS:
            heapq.heappush(
                pending, (stay.discharged_at + _readmission_gap(rng), order, citizen, stay.key)
            )
            order += 1
    first = datetime.combine(start, time(0), COPENHAGEN)
    return [stay for stay in stays if stay.admitted_at >= first]


def _readmission_gap(rng: random.Random) -> timedelta:
    """A quarter within 3 days (never within 4 hours: that is a transfer, one stay), the rest
    within 30 days (on a local date at most 30 days after the discharge)."""
    if rng.random() < figures.READMISSIONS_WITHIN_3_DAYS:
        return timedelta(hours=rng.uniform(6, 60))
    return timedelta(hours=rng.uniform(80, 29 * 24))


def _days(start: date, end: datetime) -> Iterator[date]:
    day = start
    while day <= end.astimezone(COPENHAGEN).date():
        yield day
        day += timedelta(days=1)
