"""The in-process memory of authenticated bearer tokens."""

from __future__ import annotations

import uuid

from overgang.service.caller import Caller, CallerCache

CALLER = Caller(
    client_id=uuid.uuid4(),
    organisation_id=uuid.uuid4(),
    kind="hospital",
    sor="1144561000016002",
    municipality_code=None,
)


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_caller_is_remembered_for_the_ttl_and_then_forgotten() -> None:
    clock = Clock()
    cache = CallerCache(ttl_seconds=10, clock=clock)
    cache.put("hash", CALLER)

    clock.now += 9.99
    remembered = cache.get("hash")
    clock.now += 0.01

    assert remembered == CALLER
    assert cache.get("hash") is None
    assert cache.get("another hash") is None


def test_a_ttl_of_zero_remembers_nothing() -> None:
    cache = CallerCache(ttl_seconds=0, clock=Clock())
    cache.put("hash", CALLER)

    assert cache.get("hash") is None


def test_a_full_cache_drops_the_expired_callers_first() -> None:
    clock = Clock()
    cache = CallerCache(ttl_seconds=10, clock=clock, max_entries=2)
    cache.put("old", CALLER)
    clock.now += 5
    cache.put("newer", CALLER)
    clock.now += 6  # "old" has expired, "newer" has not
    cache.put("newest", CALLER)

    assert cache.get("newer") == CALLER
    assert cache.get("newest") == CALLER
    assert cache.get("old") is None
