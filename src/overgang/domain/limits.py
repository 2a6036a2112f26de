"""The limits every inbound value is held to before anything is written: one home for the numbers.

The FHIR reader (`overgang.fhir`) and the JSON schemas (`overgang.api`) both check against these,
and the storage columns are at least as wide (tests/unit/test_limits.py holds them to it). FHIR's
own limits are from https://hl7.org/fhir/R4/datatypes.html; the rest are Overgang's choices, listed
in README.md. Each `*_problem` function returns why a value is refused, or None; the reason never
repeats the value (it may be a CPR number).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

MAX_BUNDLE_ENTRIES = 200  # a stay's discharge handover has a few dozen
MAX_ID_LENGTH = 64  # FHIR `id`
ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
MAX_IDENTIFIER_VALUE_LENGTH = 128
MAX_IDENTIFIER_SYSTEM_LENGTH = 200
MAX_STRING_BYTES = 1024 * 1024  # FHIR `string`: at most 1 MB
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # FHIR integers; also the inbox sequence column
# Times (dateTime, instant) from 1900 to 2100; a FHIR `date` may be a birth date, and a CPR
# number encodes years back to 1858.
EARLIEST_YEAR, EARLIEST_DATE_YEAR, LATEST_YEAR = 1900, 1800, 2100

_ID = re.compile(ID_PATTERN)
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_WHITESPACE = re.compile(r"\s")
# FHIR `string`: no characters below U+0020 other than tab, LF and CR (PostgreSQL refuses U+0000).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Path = tuple[str | int, ...]


def id_problem(value: str) -> str | None:
    if _ID.fullmatch(value):
        return None
    return f"must be a FHIR id: 1 to {MAX_ID_LENGTH} of A-Z, a-z, 0-9, '-' and '.'"


def code_problem(value: str) -> str | None:
    if _CODE.fullmatch(value):
        return None
    return "must be a FHIR code: no whitespace other than single spaces between words"


def uri_problem(value: str) -> str | None:
    if _WHITESPACE.search(value) or _CONTROL.search(value):
        return "must be a URI: no whitespace or control characters"
    return None


def _identifier_characters_problem(value: str) -> str | None:
    # isprintable() is False for control, format (bidi marks, zero-width), separator (other than
    # the space), private-use and unassigned characters: those that make two ids look the same.
    if not value.isprintable():
        return "must not hold control, bidirectional, zero-width or other invisible characters"
    if value != value.strip():
        return "must not start or end with a space"
    return None


def identifier_value_problem(value: str) -> str | None:
    if not 1 <= len(value) <= MAX_IDENTIFIER_VALUE_LENGTH:
        return f"must be 1 to {MAX_IDENTIFIER_VALUE_LENGTH} characters"
    return _identifier_characters_problem(value)


def identifier_system_problem(value: str) -> str | None:
    if not 1 <= len(value) <= MAX_IDENTIFIER_SYSTEM_LENGTH:
        return f"must be 1 to {MAX_IDENTIFIER_SYSTEM_LENGTH} characters"
    return uri_problem(value) or _identifier_characters_problem(value)


def year_problem(year: int, *, earliest: int = EARLIEST_YEAR) -> str | None:
    if earliest <= year <= LATEST_YEAR:
        return None
    return f"must fall in the years {earliest} to {LATEST_YEAR}"


def time_problem(value: datetime) -> str | None:
    return year_problem(value.year)


def integer_problem(value: int) -> str | None:
    if INT32_MIN <= value <= INT32_MAX:
        return None
    return "must be a 32-bit integer"


def nesting_depth_exceeds(document: Any, limit: int) -> bool:
    """True when the JSON document nests deeper than `limit` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def string_problems(document: Any) -> Iterator[tuple[Path, str]]:
    """Every key and string in a JSON document that FHIR's `string` rule refuses, with its path."""
    stack: list[tuple[Path, Any]] = [((), document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if _CONTROL.search(key):
                    yield path, "a key holds a control character"
                else:
                    stack.append(((*path, key), child))
        elif isinstance(node, list):
            stack.extend(((*path, position), child) for position, child in enumerate(node))
        elif isinstance(node, str):
            if _CONTROL.search(node):
                yield path, "holds a control character other than tab, LF or CR"
            # Encoding is only worth it when the characters alone might pass the limit.
            elif len(node) > MAX_STRING_BYTES // 4 and len(node.encode()) > MAX_STRING_BYTES:
                yield path, f"is longer than {MAX_STRING_BYTES} bytes"


class _Repeated(dict[str, Any]):
    """An object in which `key` occurred more than once."""

    key: str


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    repeated = _Repeated(obj)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeated.key = key
            break
        seen.add(key)
    return repeated


def duplicate_key_path(body: bytes) -> Path | None:
    """Where a well-formed JSON body repeats a key within one object, or None.

    Parsers disagree on which of two equal keys wins; Overgang forwards the body as it came, so a
    receiver could read another value (another CPR number) than the one Overgang checked.
    """
    stack: list[tuple[Path, Any]] = [((), json.loads(body, object_pairs_hook=_refuse_duplicates))]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Repeated):
            return (*path, node.key)
        if isinstance(node, dict):
            stack.extend(((*path, key), child) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, position), child) for position, child in enumerate(node))
    return None


def json_body_problem(body: bytes, *, max_depth: int) -> tuple[Path, str] | None:
    """Where and why a JSON request body is refused before its schema is checked, or None."""
    try:
        document = orjson.loads(body)  # stricter than json: UTF-8 only, no NaN, no lone surrogates
    except orjson.JSONDecodeError:
        return (), "the body is not well-formed JSON"
    if nesting_depth_exceeds(document, max_depth):
        return (), f"the body nests deeper than {max_depth} levels"
    repeated = duplicate_key_path(body)
    if repeated is not None:
        return repeated, "the key occurs more than once"
    return next(string_problems(document), None)
