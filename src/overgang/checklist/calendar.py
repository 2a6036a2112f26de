"""Danish working days, in Europe/Copenhagen time.

Public holidays are the `holidays` package's default for Denmark (the helligdage). 1 May,
Constitution Day, 24 and 31 December are working days unless a checklist file lists them among its
extra closed days, either every year ("12-24") or once ("2026-12-24").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ANNUAL_DAY = re.compile(r"^(\d{2})-(\d{2})$")


@lru_cache(maxsize=64)
def _danish_holidays(year: int) -> dict[date, str]:
    # A plain dict per year, built once: the `holidays` object fills itself in lazily, which
    # is not something to share between request threads.
    return dict(holidays.country_holidays("DK", years=year, language="da").items())


def holiday_name(day: date) -> str | None:
    """The Danish name of the public holiday on `day`, or None."""
    return _danish_holidays(day.year).get(day)


def local(moment: datetime) -> datetime:
    """`moment` on the Copenhagen wall clock."""
    return moment.astimezone(COPENHAGEN)


def local_date(moment: datetime) -> date:
    return local(moment).date()


def at_or_after(moment: datetime, clock: time) -> bool:
    """Whether `moment` is at or after `clock` on its Copenhagen day."""
    return local(moment).time() >= clock


def same_wall_clock_later(moment: datetime, *, days: int) -> datetime:
    """The same Copenhagen wall-clock time `days` calendar days later (DST-safe)."""
    start = local(moment)
    wall = datetime.combine(start.date() + timedelta(days=days), start.time())
    return wall.replace(tzinfo=COPENHAGEN)


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


@dataclass(frozen=True)
class WorkCalendar:
    """Danish working days, with a checklist file's extra closed days."""

    extra_closed_days: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for value in self.extra_closed_days:
            _parse_closed_day(value)  # raises ValueError on a malformed entry

    def closed_reason(self, day: date) -> str | None:
        """Why `day` is not a working day (Danish), or None when it is one."""
        if day.weekday() == 5:
            return "lørdag"
        if day.weekday() == 6:
            return "søndag"
        name = holiday_name(day)
        if name:
            return f"helligdag ({name})"
        if self._is_extra_closed(day):
            return "lukkedag efter aftalen"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.closed_reason(day) is None

    def working_days_between(self, after: date, until: date) -> int:
        """The number of working days d with after < d <= until."""
        count, day = 0, after + timedelta(days=1)
        while day <= until:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def _is_extra_closed(self, day: date) -> bool:
        for value in self.extra_closed_days:
            annual, fixed = _parse_closed_day(value)
            if day == fixed or (annual and (day.month, day.day) == annual):
                return True
        return False


def _parse_closed_day(value: str) -> tuple[tuple[int, int] | None, date | None]:
    match = ANNUAL_DAY.match(value)
    if match:
        month, day = int(match[1]), int(match[2])
        date(2000, month, day)  # a leap year, so that "02-29" is accepted
        return (month, day), None
    return None, date.fromisoformat(value)
