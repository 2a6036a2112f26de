"""The limits' pure checks, and the columns that must be at least as wide as the limits."""

from __future__ import annotations

from typing import Any

import pytest

from overgang.domain import limits
from overgang.storage.models import EpisodeEvent, EpisodeIdentifier, ReceivedMessage


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        (ReceivedMessage.__table__.c.bundle_id, limits.MAX_ID_LENGTH),
        (ReceivedMessage.__table__.c.header_id, limits.MAX_ID_LENGTH),
        (EpisodeEvent.__table__.c.header_id, limits.MAX_ID_LENGTH),
        (EpisodeEvent.__table__.c.target_header_id, limits.MAX_ID_LENGTH),
        (EpisodeEvent.__table__.c.replaced_by_header_id, limits.MAX_ID_LENGTH),
        (EpisodeIdentifier.__table__.c.system, limits.MAX_IDENTIFIER_SYSTEM_LENGTH),
        (EpisodeIdentifier.__table__.c.value, limits.MAX_IDENTIFIER_VALUE_LENGTH),
    ],
    ids=lambda value: getattr(value, "name", str(value)),
)
def test_each_column_holds_the_longest_value_the_limits_let_in(column: Any, limit: int) -> None:
    assert column.type.length >= limit


@pytest.mark.parametrize("value", ["a", "9bf91057-1385-5d72-be8c-50435d0b272e", "A.b-1" * 12])
def test_fhir_ids_up_to_64_characters_pass(value: str) -> None:
    assert limits.id_problem(value) is None


@pytest.mark.parametrize("value", ["", "a" * 65, "a b", "a_b", "æ", "a\n"])
def test_other_ids_are_refused(value: str) -> None:
    assert limits.id_problem(value) is not None


@pytest.mark.parametrize(
    ("value", "refused"),
    [("in-progress", False), ("two words", False), ("two  spaces", True), (" lead", True)],
)
def test_a_code_has_single_spaces_between_words(value: str, refused: bool) -> None:
    assert (limits.code_problem(value) is not None) is refused


@pytest.mark.parametrize(
    "value", ["x" * 129, "", "a\u202eb", "a\u200bb", "a\ufeff", "a\x00", "a\tb", " lead", "a\u00a0"]
)
def test_identifier_values_must_be_short_and_visible(value: str) -> None:
    assert limits.identifier_value_problem(value) is not None


def test_an_identifier_value_may_hold_danish_letters_and_spaces() -> None:
    assert limits.identifier_value_problem("Afd. Ø 12") is None


@pytest.mark.parametrize("value", ["https://x.dk/a b", "https://x.dk/" + "s" * 200, "urn:\x01"])
def test_identifier_systems_are_uris_within_the_column(value: str) -> None:
    assert limits.identifier_system_problem(value) is not None


def test_years_outside_the_window_are_refused() -> None:
    assert limits.year_problem(1) is not None
    assert limits.year_problem(9999) is not None
    assert limits.year_problem(1900) is None
    assert limits.year_problem(1858, earliest=limits.EARLIEST_DATE_YEAR) is None


def test_the_sequence_range_is_32_bit() -> None:
    assert limits.integer_problem(2**31 - 1) is None
    assert limits.integer_problem(2**31) is not None


def test_a_repeated_key_is_found_with_its_path() -> None:
    body = b'{"a": [{"b": 1}, {"c": {"d": 1, "d": 2}}]}'

    assert limits.duplicate_key_path(body) == ("a", 1, "c", "d")
    assert limits.duplicate_key_path(b'{"a": {"d": 1}, "d": 2}') is None


def test_control_characters_are_found_in_values_and_keys() -> None:
    document = {"ok": "tab\there\r\n", "bad": ["x", "nul\x00"], "k\x1f": 1}

    found = dict(limits.string_problems(document))

    assert set(found) == {("bad", 1), ()}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"a": "\\ud800"}', ()),
        (b'{"a": NaN}', ()),
        (b"[" * 40 + b"]" * 40, ()),
        (b'{"a": 1, "a": 1}', ("a",)),
        (b'{"a": ["\\u0000"]}', ("a", 0)),
    ],
    ids=["lone-surrogate", "nan", "deep", "repeated", "nul"],
)
def test_a_json_body_is_refused_before_its_schema_is_checked(
    body: bytes, where: tuple[Any, ...]
) -> None:
    problem = limits.json_body_problem(body, max_depth=16)

    assert problem is not None
    assert problem[0] == where
