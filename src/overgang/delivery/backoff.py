"""When to try a webhook delivery again: the retry schedule, jitter and Retry-After.

The schedule is the list of delays between attempts, read from OVERGANG_WEBHOOK_RETRY_SCHEDULE as
comma-separated seconds. With N delays there are N + 1 attempts: the first one right after the
message is committed, then one after each delay. When the delays are used up the delivery is dead
(it stays visible in the inbox either way).

Everything here is pure: the caller passes the clock and the random generator.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeAlias

RetrySchedule: TypeAlias = tuple[float, ...]

# Exponential-ish, in line with the Standard Webhooks example schedule. The delays add up to
# 272,555 s (about 75.7 hours, a little over three days) over 13 attempts, so a receiver that is
# down for a long weekend still gets the message once it is back.
DEFAULT_SCHEDULE: RetrySchedule = (
    5,
    30,
    120,
    600,
    1_800,
    3_600,
    7_200,
    14_400,
    28_800,
    43_200,
    86_400,
    86_400,
)

# Each delay is spread ±20% so that messages that failed together (a receiver outage) do not
# all come back in the same second.
JITTER = 0.2
# A receiver may ask for a pause, but not to park a message for days, and a pause of zero would
# turn into a tight loop.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
MIN_RETRY_AFTER_SECONDS = 1.0


def parse_schedule(text: str) -> RetrySchedule:
    """Delays in seconds from a comma-separated list such as `"5, 30, 120"`."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip():
        raise ValueError("the webhook retry schedule is empty; give comma-separated seconds")
    delays: list[float] = []
    for position, part in enumerate(parts, start=1):
        if not part:
            raise ValueError(
                f"the webhook retry schedule has an empty entry at position {position}"
            )
        try:
            delay = float(part)
        except ValueError:
            raise ValueError(
                f"the webhook retry schedule entry {part!r} at position {position} is not a number"
            ) from None
        if not math.isfinite(delay) or delay < 0:
            raise ValueError(
                f"the webhook retry schedule entry {part!r} at position {position} must be a "
                "finite number of seconds, zero or more"
            )
        delays.append(delay)
    return tuple(delays)


def next_delay(
    *,
    schedule: RetrySchedule,
    attempt_number: int,
    retry_after: float | None,
    rng: random.Random,
) -> float | None:
    """Seconds to wait after failed attempt `attempt_number` (1 = the first), or None when done."""
    if attempt_number < 1:
        raise ValueError(f"attempt numbers start at 1, got {attempt_number}")
    if attempt_number > len(schedule):
        return None
    if retry_after is not None:
        # The receiver knows its own state better than our schedule does. Jitter only upwards,
        # so we never come back before the time it asked for.
        asked = min(max(retry_after, MIN_RETRY_AFTER_SECONDS), MAX_RETRY_AFTER_SECONDS)
        return asked * rng.uniform(1.0, 1.0 + JITTER)
    return schedule[attempt_number - 1] * rng.uniform(1.0 - JITTER, 1.0 + JITTER)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from `now` that a Retry-After header asks for (RFC 9110 §10.2.3), or None."""
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        # Covers the IMF-fixdate form and the two obsolete forms RFC 9110 still asks
        # recipients to accept (RFC 850 and asctime).
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # asctime dates carry no zone; HTTP dates are always GMT.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
