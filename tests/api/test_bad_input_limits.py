"""Values past FHIR's limits or the columns' are refused with a 4xx naming the element, before
anything is written, the same on SQLite and PostgreSQL (which refuses what SQLite stores)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_bad_input import (
    HEADER,
    assert_nothing_stored,
    refused_with_acknowledgement,
    refused_with_outcome,
    stin,
)
from tests.api.test_events import event, post
from tests.conftest import Api
from tests.messages import TEST_CPR, header, resources

ENCOUNTER = "Bundle.entry[2].resource"
EPISODE_IDENTIFIER = f"{ENCOUNTER}.episodeOfCare[0].identifier"


def encounter(bundle: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = bundle["entry"][2]["resource"]
    assert found["resourceType"] == "Encounter"
    return found


def episode_identifier(bundle: dict[str, Any]) -> dict[str, Any]:
    identifier: dict[str, Any] = encounter(bundle)["episodeOfCare"][0]["identifier"]
    return identifier


def set_bundle_id(bundle: dict[str, Any], value: str) -> None:
    bundle["id"] = value


def set_header_id(bundle: dict[str, Any], value: str) -> None:
    old = header(bundle)["id"]
    header(bundle)["id"] = value
    for provenance in resources(bundle, "Provenance"):
        for target in provenance["target"]:
            target["reference"] = target["reference"].replace(old, value)


# --- /fhir: ids, identifiers, strings and dates --------------------------------------------


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        (lambda b: set_bundle_id(b, "a" * 129), "Bundle.id"),
        (lambda b: set_header_id(b, "b" * 200), f"{HEADER}.id"),
        (lambda b: episode_identifier(b).update(value="x" * 129), f"{EPISODE_IDENTIFIER}.value"),
        (
            lambda b: episode_identifier(b).update(system="https://example.org/" + "s" * 200),
            f"{EPISODE_IDENTIFIER}.system",
        ),
        (lambda b: episode_identifier(b).update(system="https://ex ample.org/"), None),
    ],
    ids=["bundle-id", "header-id", "identifier-value", "identifier-system", "system-space"],
)
def test_ids_and_identifiers_longer_than_fhir_or_the_columns_allow_are_refused(
    api: Api, change: Any, expression: str | None
) -> None:
    bundle = stin()
    change(bundle)

    response = api.send(bundle)

    refused_with_acknowledgement(
        response, bundle, status=400, expression=expression or f"{EPISODE_IDENTIFIER}.system"
    )
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    "character",
    ["\u202e", "\u2066", "\u200f", "\u200b", "\u2060", "\ufeff", "\u0085", "\u00a0"],
    ids=["rlo", "lri", "rlm", "zwsp", "word-joiner", "bom", "nel", "nbsp"],
)
def test_an_episode_identifier_with_invisible_characters_is_refused(
    api: Api, character: str
) -> None:
    bundle = stin()
    identifier = episode_identifier(bundle)
    identifier["value"] = identifier["value"][:8] + character + identifier["value"][8:]

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=400, expression=f"{EPISODE_IDENTIFIER}.value"
    )
    assert "invisible" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        (lambda b: episode_identifier(b).update(value="x\x00y"), f"{EPISODE_IDENTIFIER}.value"),
        (lambda b: encounter(b).update(status="in-pro\x00gress"), f"{ENCOUNTER}.status"),
        (
            lambda b: resources(b, "Patient")[0]["name"][0].update(family="Ber\x00ggren"),
            "Bundle.entry[1].resource.name[0].family",
        ),
        (lambda b: set_bundle_id(b, "\x01"), "Bundle.id"),
    ],
    ids=["identifier", "code", "name", "id"],
)
def test_a_control_character_anywhere_is_refused_naming_the_element(
    api: Api, change: Any, expression: str
) -> None:
    bundle = stin()
    change(bundle)

    response = api.send(bundle)

    refused_with_outcome(response, status=400, expression=expression, sent=bundle)
    assert_nothing_stored(api)


def test_a_string_longer_than_one_megabyte_is_refused(api: Api) -> None:
    bundle = stin()
    resources(bundle, "Patient")[0]["name"][0]["family"] = "x" * (1024 * 1024 + 1)

    response = api.send(bundle)

    issue = refused_with_outcome(
        response, status=400, expression="Bundle.entry[1].resource.name[0].family"
    )
    assert "bytes" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_code_with_two_spaces_is_refused(api: Api) -> None:
    bundle = stin()
    encounter(bundle)["class"]["code"] = "I  MP"

    response = api.send(bundle)

    refused_with_acknowledgement(response, bundle, status=400, expression=f"{ENCOUNTER}.class.code")
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        (lambda b: b.update(timestamp="0001-01-01T00:00:00+01:00"), "Bundle.timestamp"),
        (lambda b: b.update(timestamp="9999-12-31T23:59:59-01:00"), "Bundle.timestamp"),
        (
            lambda b: encounter(b)["period"].update(start="1899-12-31T23:00:00+01:00"),
            f"{ENCOUNTER}.period.start",
        ),
        (
            lambda b: resources(b, "Patient")[0].update(birthDate="0001-01-01"),
            "Bundle.entry[1].resource.birthDate",
        ),
    ],
    ids=["year-1", "year-9999", "before-1900", "birth-date-year-1"],
)
def test_dates_outside_the_window_are_refused(api: Api, change: Any, expression: str) -> None:
    bundle = stin()
    change(bundle)

    response = api.send(bundle)

    issue = refused_with_acknowledgement(response, bundle, status=400, expression=expression)
    assert "years" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_provenance_naming_a_message_id_that_is_not_a_fhir_id_is_refused(api: Api) -> None:
    bundle = stin()
    provenance = resources(bundle, "Provenance")[0]
    provenance["entity"] = [
        {"role": "revision", "what": {"reference": "MessageHeader/" + "p" * 200}}
    ]

    response = api.send(bundle)

    position = bundle["entry"].index(
        next(e for e in bundle["entry"] if e["resource"] is provenance)
    )
    refused_with_acknowledgement(
        response,
        bundle,
        status=422,
        expression=f"Bundle.entry[{position}].resource.entity[0].what.reference",
    )
    assert_nothing_stored(api)


# --- /fhir: the body and the Bundle's size --------------------------------------------------


def with_repeated_cpr(bundle: dict[str, Any]) -> bytes:
    """The message's JSON with the CPR identifier's value given twice: another CPR, then ours."""
    text = json.dumps(bundle)
    ours = f'"value": "{TEST_CPR}"'
    assert text.count(ours) == 1
    return text.replace(ours, f'"value": "0101010000", {ours}').encode()


def test_a_key_given_twice_is_refused_naming_it(api: Api) -> None:
    bundle = stin()

    response = api.send(with_repeated_cpr(bundle))

    refused_with_outcome(
        response, status=400, expression="Bundle.entry[1].resource.identifier[0].value"
    )
    assert_nothing_stored(api)


def test_a_bundle_with_thousands_of_entries_is_refused(api: Api) -> None:
    bundle = stin()
    patient = bundle["entry"][1]
    bundle["entry"].extend([patient] * 5000)

    response = api.send(bundle)

    issue = refused_with_outcome(response, status=400, expression="Bundle.entry", sent=bundle)
    assert issue["code"] == "too-costly"
    assert_nothing_stored(api)


@pytest.mark.parametrize("entry", [{}, {"fullUrl": "urn:uuid:8c9e6a0e-2d31-4c34-8b0c-0f7b"}])
def test_an_entry_without_a_resource_is_refused(api: Api, entry: dict[str, Any]) -> None:
    bundle = stin()
    bundle["entry"].append(entry)

    response = api.send(bundle)

    position = len(bundle["entry"]) - 1
    refused_with_outcome(response, status=400, expression=f"Bundle.entry[{position}]")
    assert_nothing_stored(api)


# --- /api/v1/events -------------------------------------------------------------------------


def problem_naming(response: Any, location: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert location in {error["location"] for error in problem["errors"]}, problem
    assert TEST_CPR not in response.text
    return problem


def assert_no_event_stored(api: Api) -> None:
    assert api.inbox().json()["items"] == []
    accepted = post(api, event("adm-1", "admission"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["duplicate"] is False


def test_an_event_with_a_repeated_key_is_refused(api: Api) -> None:
    text = json.dumps(event("adm-1", "admission"))
    body = text.replace('"cpr": ', '"cpr": "0101010000", "cpr": ')

    response = api.client.post(
        "/api/v1/events",
        content=body.encode(),
        headers={**api.auth(api.tokens.hospital), "Content-Type": "application/json"},
    )

    problem_naming(response, "body.cpr")
    assert_no_event_stored(api)


def identifier(**fields: str) -> list[dict[str, str]]:
    return [{**event("x", "admission")["episode_identifiers"][0], **fields}]


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"event_id": "e" * 129}, "body.event_id"),
        ({"event_id": "adm 1"}, "body.event_id"),
        ({"follows": "f" * 65}, "body.follows"),
        ({"episode_identifiers": identifier(value="v" * 129)}, "body.episode_identifiers.0.value"),
        (
            {"episode_identifiers": identifier(system="https://x.dk/" + "s" * 200)},
            "body.episode_identifiers.0.system",
        ),
        ({"episode_identifiers": identifier(value="a\u202eb")}, "body.episode_identifiers.0.value"),
        ({"episode_identifiers": identifier(value="a\u200bb")}, "body.episode_identifiers.0.value"),
        ({"episode_identifiers": identifier(value="a\x00b")}, "body.episode_identifiers.0.value"),
        ({"receiver": {"sor": "123456\x00"}}, "body.receiver.sor"),
        ({"timestamp": 0}, "body.timestamp"),
        ({"timestamp": "0"}, "body.timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "body.timestamp"),
        ({"timestamp": "9999-12-31T23:59:59-01:00"}, "body.timestamp"),
        ({"encounter": {"class": "IMP", "start": 1767225600}}, "body.encounter.start"),
    ],
    ids=[
        "long-event-id",
        "event-id-space",
        "long-follows",
        "long-identifier-value",
        "long-identifier-system",
        "bidi",
        "zero-width",
        "nul",
        "nul-in-sor",
        "number-timestamp",
        "numeric-string-timestamp",
        "year-1",
        "year-9999",
        "number-start",
    ],
)
def test_an_event_past_the_limits_is_refused_naming_the_field(
    api: Api, overrides: dict[str, Any], location: str
) -> None:
    response = post(api, {**event("adm-1", "admission"), **overrides})

    problem_naming(response, location)
    assert_no_event_stored(api)


def test_an_event_with_a_nul_in_its_content_is_refused(api: Api) -> None:
    body = event(
        "plan-1",
        "discharge-plan",
        encounter={"class": "IMP", "start": "2026-03-02T21:40:00+01:00"},
        content={"notes": [{"category": "general", "text": "ring\x00 først"}]},
    )

    response = post(api, body)

    problem_naming(response, "body.content.notes.0.text")
    assert_no_event_stored(api)


# --- The inbox cursor -----------------------------------------------------------------------


@pytest.mark.parametrize("cursor", [str(2**31), str(2**63), "9" * 30, "²", "-1"])
def test_an_inbox_cursor_past_the_sequence_range_is_refused(api: Api, cursor: str) -> None:
    response = api.inbox(after=cursor)

    problem_naming(response, "query.after")


def test_the_largest_inbox_cursor_is_an_empty_page(api: Api) -> None:
    response = api.inbox(after=str(2**31 - 1))

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
