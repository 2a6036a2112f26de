from datetime import date

import pytest

from overgang.domain.identifiers import (
    InvalidIdentifier,
    cpr_birth_date,
    cpr_passes_modulus11,
    gln_is_valid,
    normalise_cpr,
    normalise_episode_identifier_value,
    normalise_municipality_code,
    sor_check_digit_ok,
    sor_is_well_formed,
    verhoeff_check_digit,
)

MEDCOM_TEST_CPR = "2509479989"

# --- CPR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2509479989", "250947-9989", "  250947-9989 ", "\t2509479989\n"])
def test_medcom_test_cpr_is_accepted_with_or_without_hyphen(value: str) -> None:
    assert normalise_cpr(value) == MEDCOM_TEST_CPR


def test_medcom_test_cpr_is_born_in_1947() -> None:
    assert cpr_birth_date("250947-9989") == date(1947, 9, 25)


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        # serial digit 0-3: always the 1900s
        ("0101000000", date(1900, 1, 1)),
        ("3112993999", date(1999, 12, 31)),
        ("0101202000", date(1920, 1, 1)),
        # 4 and 9: 2000-2036, otherwise 1937-1999
        ("0101364000", date(2036, 1, 1)),
        ("0101374000", date(1937, 1, 1)),
        ("0101369000", date(2036, 1, 1)),
        ("0101379000", date(1937, 1, 1)),
        ("0101004000", date(2000, 1, 1)),
        ("3112999999", date(1999, 12, 31)),
        # 5-8: 2000-2057, otherwise 1858-1899
        ("0101575000", date(2057, 1, 1)),
        ("0101585000", date(1858, 1, 1)),
        ("0101578000", date(2057, 1, 1)),
        ("0101588000", date(1858, 1, 1)),
        ("3112996000", date(1899, 12, 31)),
        ("0101107000", date(2010, 1, 1)),
    ],
)
def test_century_follows_serial_digit_and_year(cpr: str, born: date) -> None:
    assert cpr_birth_date(cpr) == born


@pytest.mark.parametrize(
    "cpr",
    [
        "290200-4000",  # 2000 was a leap year
        "290200-5000",
        "290288-0000",  # 1988
        "290296-6000",  # 1896
        "290204-4000",  # 2004
    ],
)
def test_leap_day_is_accepted_when_the_year_has_one(cpr: str) -> None:
    assert cpr_birth_date(cpr).strftime("%d%m") == "2902"


@pytest.mark.parametrize(
    "cpr",
    [
        "290200-3000",  # 1900 was not a leap year
        "290258-5000",  # 1858
        "290201-4000",  # 2001
        "300290-1234",  # 30 February
        "310490-1234",  # 31 April
        "000190-1234",  # day 0
        "011390-1234",  # month 13
        "010090-1234",  # month 0
    ],
)
def test_cpr_with_a_birth_date_that_does_not_exist_is_refused(cpr: str) -> None:
    with pytest.raises(InvalidIdentifier, match="birth date does not exist"):
        normalise_cpr(cpr)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "250947998",  # 9 digits
        "25094799890",  # 11 digits
        "2509-479989",  # hyphen in the wrong place
        "250947--9989",
        "250947 9989",
        "25O9479989",  # letter O
        "250947-998X",
        "٢٥٠٩٤٧٩٩٨٩",  # Arabic-Indic digits: str.isdigit would accept them
    ],
)
def test_cpr_of_the_wrong_shape_is_refused(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match="must be 10 digits"):
        normalise_cpr(value)


@pytest.mark.parametrize("value", ["300290-1234", "25094799", "250947998X"])
def test_error_message_never_repeats_the_cpr(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_cpr(value)
    message = str(caught.value)
    assert value not in message
    assert value[:6] not in message  # not even the birth date part
    # Nor in a chained exception that a traceback would print.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_invalid_identifier_is_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


def test_modulus11_is_reported_not_required() -> None:
    # MedCom's test CPR fails modulus 11 and is still a valid CPR number.
    assert not cpr_passes_modulus11(MEDCOM_TEST_CPR)
    assert normalise_cpr(MEDCOM_TEST_CPR) == MEDCOM_TEST_CPR
    assert cpr_passes_modulus11("070761-4285")
    assert cpr_passes_modulus11("0101003000")
    assert not cpr_passes_modulus11("0101003001")


def test_modulus11_refuses_what_is_not_a_cpr() -> None:
    with pytest.raises(InvalidIdentifier):
        cpr_passes_modulus11("12345")


# --- GLN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gln", ["5790001382445", "5790001348120", "5790000209354", "5798002472264"]
)
def test_medcom_glns_are_valid(gln: str) -> None:
    assert gln_is_valid(gln)


@pytest.mark.parametrize(
    "value",
    [
        "5790001382446",  # wrong check digit
        "5790001382440",
        "579000138244",  # 12 digits
        "57900013824450",  # 14 digits
        "579000138244A",
        " 5790001382445",
        "",
    ],
)
def test_gln_of_wrong_shape_or_check_digit_is_invalid(value: str) -> None:
    assert not gln_is_valid(value)


# --- SOR ---------------------------------------------------------------------------------------

MEDCOM_EXAMPLE_SORS = ["265161000016000", "953741000016009", "399841000016000"]


def test_verhoeff_check_digit_matches_published_examples() -> None:
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_check_digit("12345") == "1"
    assert verhoeff_check_digit("1428570") == "8"


@pytest.mark.parametrize("value", ["", "12a", "-1", "١٢"])
def test_verhoeff_check_digit_needs_digits(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        verhoeff_check_digit(value)


@pytest.mark.parametrize("sor", [*MEDCOM_EXAMPLE_SORS, "1144561000016002", "325421000016001"])
def test_medcom_example_sor_ids_pass_verhoeff(sor: str) -> None:
    # Computed, not assumed: every SOR id in the examples under medcom-examples/ passes.
    assert sor_check_digit_ok(sor)
    assert verhoeff_check_digit(sor[:-1]) == sor[-1]


@pytest.mark.parametrize("sor", ["123456789012345", "543210987654321"])
def test_placeholder_sor_ids_in_medcom_messaging_ig_fail_verhoeff(sor: str) -> None:
    # The Messaging IG's example Organizations: well-formed, so only worth a warning.
    assert sor_is_well_formed(sor)
    assert not sor_check_digit_ok(sor)


def test_verhoeff_catches_every_single_digit_error() -> None:
    sor = "953741000016009"
    for position, digit in enumerate(sor):
        for replacement in "0123456789":
            if replacement != digit:
                altered = sor[:position] + replacement + sor[position + 1 :]
                assert not sor_check_digit_ok(altered), altered


def test_verhoeff_catches_adjacent_transpositions() -> None:
    sor = "265161000016000"
    for position in range(len(sor) - 1):
        swapped = sor[:position] + sor[position + 1] + sor[position] + sor[position + 2 :]
        if swapped != sor:
            assert not sor_check_digit_ok(swapped), swapped


@pytest.mark.parametrize(
    ("value", "well_formed"),
    [
        ("123456", True),
        ("12345", False),
        ("1" * 18, True),
        ("1" * 19, False),
        ("95374100001600X", False),
        (" 953741000016009", False),
        ("", False),
    ],
)
def test_sor_structure(value: str, well_formed: bool) -> None:
    assert sor_is_well_formed(value) is well_formed
    if not well_formed:
        assert not sor_check_digit_ok(value)


# --- Municipality code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("851", "0851"), ("0851", "0851"), (" 851 ", "0851"), ("101", "0101"), ("411", "0411")],
)
def test_municipality_code_is_zero_padded(value: str, expected: str) -> None:
    assert normalise_municipality_code(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "12345", "85a", "-851", "8 51", "851.0"])
def test_municipality_code_of_wrong_shape_is_refused(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match="Municipality code"):
        normalise_municipality_code(value)


# --- Episode-of-care identifier ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("urn:uuid:9B2C6C7E-3F1A-4D2B-8C1E-0A1B2C3D4E5F", "9b2c6c7e-3f1a-4d2b-8c1e-0a1b2c3d4e5f"),
        ("URN:UUID:9b2c6c7e-3f1a-4d2b-8c1e-0a1b2c3d4e5f", "9b2c6c7e-3f1a-4d2b-8c1e-0a1b2c3d4e5f"),
        (" urn:uuid:abc ", "abc"),
        ("9B2C6C7E-3F1A-4D2B-8C1E-0A1B2C3D4E5F", "9b2c6c7e-3f1a-4d2b-8c1e-0a1b2c3d4e5f"),
        ("LPR-12345", "lpr-12345"),
        ("urn:oid:1.2.3", "urn:oid:1.2.3"),  # only urn:uuid: is a wrapper
    ],
)
def test_episode_identifier_value_is_normalised_for_matching(value: str, expected: str) -> None:
    assert normalise_episode_identifier_value(value) == expected


def test_bare_and_urn_uuid_forms_match() -> None:
    bare = "a5e5b880-c087-4055-b9ec-99108695f81d"
    assert normalise_episode_identifier_value(bare) == normalise_episode_identifier_value(
        f"urn:uuid:{bare.upper()}"
    )
