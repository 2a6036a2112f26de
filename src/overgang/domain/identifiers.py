"""Danish identifiers: CPR, GLN, SOR, municipality codes and episode-of-care identifiers.

Pure functions with no framework imports. Structural problems raise `InvalidIdentifier`; checks that
real, issued identifiers are known to fail (CPR modulus 11, SOR Verhoeff) are separate boolean
functions so that callers can turn them into warnings instead of refusals (brief §4, §5).
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "InvalidIdentifier",
    "cpr_birth_date",
    "cpr_passes_modulus11",
    "gln_is_valid",
    "normalise_cpr",
    "normalise_episode_identifier_value",
    "normalise_municipality_code",
    "sor_check_digit_ok",
    "sor_is_well_formed",
    "verhoeff_check_digit",
]


class InvalidIdentifier(ValueError):
    """An identifier that cannot be what it claims to be. The message never repeats the value."""


# [0-9] rather than \d: \d also matches Arabic-Indic and other Unicode digits.
_CPR_PATTERN = re.compile(r"([0-9]{6})-?([0-9]{4})")
GLN_PATTERN = r"[0-9]{13}"
SOR_PATTERN = r"[0-9]{6,18}"
_GLN_PATTERN = re.compile(GLN_PATTERN)
_SOR_PATTERN = re.compile(SOR_PATTERN)
_MUNICIPALITY_PATTERN = re.compile(r"[0-9]{1,4}")
_URN_UUID_PREFIX = "urn:uuid:"


# --- CPR ---------------------------------------------------------------------------------------


def _cpr_century(*, year_digits: int, century_digit: int) -> int:
    """The full birth year from YY and the first serial digit (CPR-kontoret's table)."""
    if century_digit <= 3:
        return 1900 + year_digits
    if century_digit in (4, 9):
        return (2000 if year_digits <= 36 else 1900) + year_digits
    return (2000 if year_digits <= 57 else 1800) + year_digits


def _parse_cpr(value: str) -> tuple[str, date]:
    match = _CPR_PATTERN.fullmatch(value.strip())
    if match is None:
        raise InvalidIdentifier("CPR number must be 10 digits")
    digits = match.group(1) + match.group(2)
    year = _cpr_century(year_digits=int(digits[4:6]), century_digit=int(digits[6]))
    try:
        birth_date = date(year, int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        # `from None`: date()'s own message would repeat the day and month.
        raise InvalidIdentifier("CPR number's birth date does not exist") from None
    return digits, birth_date


def normalise_cpr(value: str) -> str:
    """Return the 10 digits of a CPR number given as DDMMYY-SSSS or DDMMYYSSSS."""
    digits, _ = _parse_cpr(value)
    return digits


def cpr_birth_date(cpr: str) -> date:
    """Return the birth date encoded in a CPR number (century from the first serial digit)."""
    _, birth_date = _parse_cpr(cpr)
    return birth_date


_CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def cpr_passes_modulus11(cpr: str) -> bool:
    """Whether a CPR number passes the old modulus 11 check: worth a warning only, never a refusal.

    Numbers without modulus 11 have been issued since 2007 and are valid.
    """
    digits = normalise_cpr(cpr)
    return sum(int(d) * w for d, w in zip(digits, _CPR_WEIGHTS, strict=True)) % 11 == 0


# --- GLN ---------------------------------------------------------------------------------------


def gln_is_valid(value: str) -> bool:
    """Whether a value is a 13-digit GLN (EAN location number) with a correct GS1 mod-10 digit."""
    if _GLN_PATTERN.fullmatch(value) is None:
        return False
    # GS1 weights alternate 3, 1, 3, ... from the digit nearest the check digit leftwards.
    body = value[:-1]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(value[-1])


# --- SOR (SNOMED CT identifier form, Verhoeff check digit) --------------------------------------

# Verhoeff works in the dihedral group D5: 0-4 are rotations, 5-9 reflections. The tables are built
# from that definition rather than typed in, so a mistyped cell cannot hide in them.


def _d5(j: int, k: int) -> int:
    if j < 5:
        return (j + k) % 5 if k < 5 else 5 + (j + k) % 5
    return 5 + (j - k) % 5 if k < 5 else (j - k) % 5


_MULTIPLY = tuple(tuple(_d5(j, k) for k in range(10)) for j in range(10))
_INVERSE = tuple(next(k for k in range(10) if _MULTIPLY[j][k] == 0) for j in range(10))


def _permutations() -> tuple[tuple[int, ...], ...]:
    step = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(step[x] for x in rows[-1]))
    return tuple(rows)


_PERMUTE = _permutations()


def _verhoeff_fold(digits: str, *, offset: int) -> int:
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _MULTIPLY[check][_PERMUTE[(position + offset) % 8][int(digit)]]
    return check


def verhoeff_check_digit(digits: str) -> str:
    """Return the Verhoeff check digit to append to a string of digits."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise InvalidIdentifier("Verhoeff check digit needs at least one digit and digits only")
    # offset 1: the digits are shifted one place left by the check digit still to come.
    return str(_INVERSE[_verhoeff_fold(digits, offset=1)])


def sor_is_well_formed(value: str) -> bool:
    """Whether a value has the shape of a SOR id (6-18 digits, as a SNOMED CT identifier)."""
    return _SOR_PATTERN.fullmatch(value) is not None


def sor_check_digit_ok(value: str) -> bool:
    """Whether a SOR id's last digit is the Verhoeff check digit of the rest.

    A failure is a warning, never a refusal: ids that fail do reach us (the placeholder SOR ids
    in MedCom's Messaging IG examples, such as 123456789012345, fail the check).
    """
    return sor_is_well_formed(value) and _verhoeff_fold(value, offset=0) == 0


# --- Municipality and episode-of-care identifiers -----------------------------------------------


def normalise_municipality_code(value: str) -> str:
    """Return a municipality code as 4 zero-padded digits ("851" becomes "0851")."""
    stripped = value.strip()
    if _MUNICIPALITY_PATTERN.fullmatch(stripped) is None:
        raise InvalidIdentifier("Municipality code must be 1 to 4 digits")
    return stripped.zfill(4)


def normalise_episode_identifier_value(value: str) -> str:
    """Return an episode-of-care identifier value without "urn:uuid:", lower-cased, for matching."""
    stripped = value.strip()
    if stripped[: len(_URN_UUID_PREFIX)].lower() == _URN_UUID_PREFIX:
        stripped = stripped[len(_URN_UUID_PREFIX) :]
    return stripped.strip().lower()


_UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def looks_like_uuid(value: str) -> bool:
    """MedCom wants UUIDs as ids; its own examples do not always have them (a warning only)."""
    return _UUID_PATTERN.fullmatch(value.lower()) is not None
