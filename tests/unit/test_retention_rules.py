"""The retention periods as cut-off times, and the keyed hash that links a citizen's episodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from overgang.domain.retention import RetentionPolicy, citizen_key

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_default_cutoffs_follow_the_documented_periods() -> None:
    cut = RetentionPolicy().cutoffs(NOW)

    assert NOW - cut.acknowledged_before == timedelta(days=30)
    assert NOW - cut.report_created_before == timedelta(days=5)
    assert NOW - cut.undelivered_created_before == timedelta(days=30)
    assert NOW - cut.episode_closed_before == timedelta(days=90)
    assert NOW - cut.audit_before == timedelta(days=730)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RetentionPolicy().cutoffs(NOW.replace(tzinfo=None))


def test_citizen_key_links_one_citizen_and_depends_on_the_secret() -> None:
    key = b"s" * 32

    assert citizen_key("2509479989", key=key) == citizen_key("2509479989", key=key)
    assert citizen_key("2509479989", key=key) != citizen_key("0101904007", key=key)
    assert citizen_key("2509479989", key=key) != citizen_key("2509479989", key=b"t" * 32)
    assert "2509479989" not in citizen_key("2509479989", key=key)
    assert len(citizen_key("2509479989", key=key)) == 64


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        citizen_key("2509479989", key=b"")
