"""The board's sign-in rules, without a database: addresses, passwords, lockout, session ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from overgang.domain import people

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_address_is_trimmed_and_lower_case_and_must_look_like_one() -> None:
    assert people.normalise_email("  Anne@Aalborg.DK ") == "anne@aalborg.dk"
    for bad in ("anne", "anne@aalborg", "a b@aalborg.dk", "@aalborg.dk", "a@@aalborg.dk"):
        with pytest.raises(people.InvalidPerson):
            people.normalise_email(bad)


def test_only_known_roles_are_registered() -> None:
    assert people.check_role("coordinator") == "coordinator"
    with pytest.raises(people.InvalidPerson):
        people.check_role("admin")


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("kort", "mindst 12 tegn"),
        ("x" * 129, "højst være 128 tegn"),
        ("anne.holm-og-mere-til", "e-mailadresse"),
        ("fire ord i en lang sætning", None),
    ],
)
def test_a_password_is_long_enough_and_not_the_address(password: str, refused: str | None) -> None:
    problem = people.password_problem(password, email="anne.holm@aalborg.dk")

    assert (problem is None) if refused is None else (refused in (problem or ""))


def test_the_fifth_failure_in_a_row_locks_for_a_quarter_of_an_hour_and_starts_counting_again() -> (
    None
):
    failed, locked_until = 0, None
    for _ in range(4):
        failed, locked_until = people.after_failure(failed_sign_ins=failed, now=NOW)
        assert locked_until is None
    failed, locked_until = people.after_failure(failed_sign_ins=failed, now=NOW)

    assert (failed, locked_until) == (0, NOW + timedelta(minutes=15))
    assert people.is_locked(locked_until=locked_until, now=NOW + timedelta(minutes=14))
    assert not people.is_locked(locked_until=locked_until, now=NOW + timedelta(minutes=15))


def test_a_session_ends_after_half_an_hour_idle_and_ten_hours_at_most() -> None:
    assert people.session_expiry(created_at=NOW, now=NOW) == NOW + timedelta(minutes=30)
    late = NOW + timedelta(hours=9, minutes=50)
    assert people.session_expiry(created_at=NOW, now=late) == NOW + timedelta(hours=10)
