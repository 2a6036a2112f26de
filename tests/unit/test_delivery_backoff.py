"""The webhook retry schedule, its jitter and the receiver's Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from overgang.delivery.backoff import (
    DEFAULT_SCHEDULE,
    MAX_RETRY_AFTER_SECONDS,
    next_delay,
    parse_retry_after,
    parse_schedule,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_the_default_schedule_spans_about_three_days_in_thirteen_attempts() -> None:
    assert sum(DEFAULT_SCHEDULE) == 272_555
    assert 2.5 * 86_400 < sum(DEFAULT_SCHEDULE) < 3.5 * 86_400
    assert len(DEFAULT_SCHEDULE) + 1 == 13
    assert list(DEFAULT_SCHEDULE) == sorted(DEFAULT_SCHEDULE)


def test_a_schedule_is_read_from_comma_separated_seconds() -> None:
    assert parse_schedule("5, 30,120 ,0.5") == (5.0, 30.0, 120.0, 0.5)
    assert parse_schedule("0") == (0.0,)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("5,,30", "empty entry at position 2"),
        ("5,30,", "empty entry at position 3"),
        ("5,soon", "'soon' at position 2 is not a number"),
        ("5,-1", "'-1' at position 2 must be a finite number"),
        ("nan", "finite"),
        ("inf", "finite"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_reason(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_schedule(text)


def test_each_attempt_waits_its_scheduled_delay_give_or_take_a_fifth() -> None:
    for attempt_number, scheduled in enumerate(DEFAULT_SCHEDULE, start=1):
        delays = [
            next_delay(
                schedule=DEFAULT_SCHEDULE,
                attempt_number=attempt_number,
                retry_after=None,
                rng=random.Random(seed),
            )
            for seed in range(200)
        ]
        assert all(d is not None and 0.8 * scheduled <= d <= 1.2 * scheduled for d in delays)
        assert len(set(delays)) > 150  # spread out, not one value for every worker


def test_jitter_uses_both_sides_of_the_scheduled_delay() -> None:
    delays = [
        next_delay(schedule=(100.0,), attempt_number=1, retry_after=None, rng=random.Random(s))
        for s in range(500)
    ]
    assert min(d for d in delays if d is not None) < 85
    assert max(d for d in delays if d is not None) > 115


def test_after_the_last_scheduled_attempt_there_is_no_next_one() -> None:
    rng = random.Random(1)
    last = len(DEFAULT_SCHEDULE)

    assert next_delay(schedule=DEFAULT_SCHEDULE, attempt_number=last, retry_after=None, rng=rng)
    assert (
        next_delay(schedule=DEFAULT_SCHEDULE, attempt_number=last + 1, retry_after=None, rng=rng)
        is None
    )
    assert next_delay(schedule=(), attempt_number=1, retry_after=None, rng=rng) is None


def test_a_retry_after_does_not_extend_an_exhausted_schedule() -> None:
    assert (
        next_delay(schedule=(5.0,), attempt_number=2, retry_after=60, rng=random.Random()) is None
    )


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        next_delay(schedule=(5.0,), attempt_number=0, retry_after=None, rng=random.Random())


@pytest.mark.parametrize(
    ("retry_after", "low"),
    [
        (7.0, 7.0),
        (3600.0, 3600.0),
        (0.0, 1.0),
        (0.2, 1.0),
        (10 * 86_400.0, MAX_RETRY_AFTER_SECONDS),
    ],
)
def test_a_retry_after_replaces_the_next_delay_within_bounds(
    retry_after: float, low: float
) -> None:
    for seed in range(100):
        delay = next_delay(
            schedule=DEFAULT_SCHEDULE,
            attempt_number=1,
            retry_after=retry_after,
            rng=random.Random(seed),
        )
        # Never earlier than asked; a little later so a burst does not return in one second.
        assert delay is not None
        assert low <= delay <= low * 1.2


@pytest.mark.parametrize("value", ["7", " 7 ", "007"])
def test_retry_after_in_seconds(value: str) -> None:
    assert parse_retry_after(value, now=NOW) == 7.0


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 02 Mar 2026 09:32:00 GMT",  # IMF-fixdate
        "Monday, 02-Mar-26 09:32:00 GMT",  # RFC 850
        "Mon Mar  2 09:32:00 2026",  # asctime
    ],
)
def test_retry_after_as_an_http_date(value: str) -> None:
    assert parse_retry_after(value, now=NOW) == 120.0


def test_a_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Mon, 02 Mar 2026 09:00:00 GMT", now=NOW) == 0.0
    delay = next_delay(schedule=(600.0,), attempt_number=1, retry_after=0.0, rng=random.Random(3))
    assert delay is not None
    assert 1.0 <= delay <= 1.2


@pytest.mark.parametrize(
    "value", [None, "", "soon", "-5", "1.5", "７", "Mon, 32 Mar 2026 09:32:00 GMT"]
)
def test_an_unusable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


def test_retry_after_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_retry_after("7", now=NOW.replace(tzinfo=None) + timedelta(0))
