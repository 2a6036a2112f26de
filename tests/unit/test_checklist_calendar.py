"""Danish working days and public holidays, in Europe/Copenhagen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from overgang.checklist.calendar import (
    COPENHAGEN,
    WorkCalendar,
    add_months,
    holiday_name,
    local_date,
    same_wall_clock_later,
)

DEFAULT = WorkCalendar()
CET = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Nytårsdag"),
        (date(2026, 4, 2), "Skærtorsdag"),
        (date(2026, 4, 3), "Langfredag"),
        (date(2026, 4, 6), "Anden påskedag"),
        (date(2026, 5, 14), "Kristi himmelfartsdag"),
        (date(2026, 5, 25), "Anden pinsedag"),
        (date(2026, 12, 25), "Juledag"),
        (date(2025, 12, 26), "Anden juledag"),
    ],
)
def test_the_danish_helligdage_are_closed(day: date, name: str) -> None:
    assert holiday_name(day) == name
    assert not DEFAULT.is_working_day(day)
    assert DEFAULT.closed_reason(day) == f"helligdag ({name})"


@pytest.mark.parametrize(
    "day",
    [date(2026, 5, 1), date(2026, 6, 5), date(2026, 12, 24), date(2026, 12, 31), date(2026, 5, 8)],
)
def test_may_day_constitution_day_christmas_eve_and_new_years_eve_are_working_days(
    day: date,
) -> None:
    # 8 May 2026 would have been Store Bededag, abolished from 2024.
    assert day.weekday() < 5
    assert DEFAULT.is_working_day(day)


def test_weekends_are_closed() -> None:
    assert DEFAULT.closed_reason(date(2026, 3, 21)) == "lørdag"
    assert DEFAULT.closed_reason(date(2026, 3, 22)) == "søndag"
    assert DEFAULT.is_working_day(date(2026, 3, 20))


def test_extra_closed_days_close_a_day_every_year() -> None:
    calendar = WorkCalendar(("12-24", "12-31"))

    assert not calendar.is_working_day(date(2026, 12, 24))
    assert not calendar.is_working_day(date(2027, 12, 31))
    assert calendar.closed_reason(date(2026, 12, 24)) == "lukkedag efter aftalen"
    assert calendar.is_working_day(date(2026, 12, 23))


def test_an_extra_closed_date_closes_that_day_only() -> None:
    calendar = WorkCalendar(("2026-12-24",))

    assert not calendar.is_working_day(date(2026, 12, 24))
    assert calendar.is_working_day(date(2027, 12, 24))


@pytest.mark.parametrize("value", ["02-30", "13-01", "24-12", "2026-02-29", "christmas"])
def test_a_malformed_extra_closed_day_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        WorkCalendar((value,))


def test_working_days_count_after_the_plan_date_up_to_the_discharge_date() -> None:
    monday, wednesday = date(2026, 3, 16), date(2026, 3, 18)

    assert DEFAULT.working_days_between(monday, wednesday) == 2
    assert DEFAULT.working_days_between(wednesday, wednesday) == 0
    assert DEFAULT.working_days_between(wednesday, monday) == 0


def test_easter_holidays_are_not_counted_as_working_days() -> None:
    # Wed 1 April -> Tue 7 April 2026: Maundy Thursday, Good Friday, the weekend and Easter
    # Monday are all closed, so only the Tuesday counts.
    assert DEFAULT.working_days_between(date(2026, 4, 1), date(2026, 4, 7)) == 1
    assert DEFAULT.working_days_between(date(2026, 3, 31), date(2026, 4, 7)) == 2


def test_the_same_wall_clock_time_later_crosses_the_start_of_summer_time() -> None:
    # Summer time starts on the last Sunday of March (29 March 2026).
    discharge = datetime(2026, 3, 10, 10, 0, tzinfo=CET)

    later = same_wall_clock_later(discharge, days=30)

    assert later.astimezone(COPENHAGEN).replace(tzinfo=None) == datetime(2026, 4, 9, 10, 0)
    assert later.astimezone(UTC) == datetime(2026, 4, 9, 8, 0, tzinfo=UTC)
    assert later - discharge == timedelta(days=30, hours=-1)


def test_local_dates_are_copenhagen_dates() -> None:
    assert local_date(datetime(2026, 3, 17, 23, 30, tzinfo=UTC)) == date(2026, 3, 18)
    assert local_date(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == date(2026, 7, 1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 3, 18), 6, date(2026, 9, 18)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
    ],
)
def test_calendar_months_keep_the_day_or_end_the_month(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected
