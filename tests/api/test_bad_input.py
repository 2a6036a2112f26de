"""Bad input to `$process-message`: every refusal is a clear, specific 4xx that stores nothing.

This file has the assertion helpers, what goes wrong before a MessageHeader can be read (the body,
its size and depth, the Bundle's shape) and who may send to whom (token, sender, receiver, a reused
Bundle.id); the rules inside a readable message are in test_bad_input_medcom.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api
from tests.messages import (
    EXAMPLE_EPISODE,
    MEDCOM_SENDER_GLN,
    MEDCOM_SENDER_SOR,
    TEST_CPR,
    example,
    header,
    resources,
    with_fresh_ids,
)

STIN = "01-admission-STIN.json"
TWENTY_MB = 20 * 1024 * 1024
HEADER = "Bundle.entry[0].resource"
# A SOR id and a GLN that both pass their check digits but belong to nobody registered.
UNREGISTERED_SOR, UNREGISTERED_GLN = "987654100001605", "5790000987658"


def stin() -> dict[str, Any]:
    return example(STIN)


def cpr_numbers(sent: dict[str, Any] | None) -> set[str]:
    """The CPR numbers a message carries: no error answer may repeat one."""
    numbers = {TEST_CPR}
    for patient in resources(sent, "Patient") if sent else []:
        numbers.update(str(identifier.get("value")) for identifier in patient.get("identifier", []))
    return numbers


def issue_naming(outcome: dict[str, Any], expression: str | None) -> dict[str, Any]:
    """The OperationOutcome issue whose expression is `expression` (any error, if None)."""
    issues = outcome["issue"]
    for issue in issues:
        if expression is None or expression in issue.get("expression", []):
            return dict(issue)
    raise AssertionError(f"no issue names {expression}: {issues}")


def refused_with_outcome(
    response: Any, *, status: int, expression: str | None = None, sent: Any = None
) -> dict[str, Any]:
    """A refusal with no readable MessageHeader: a plain OperationOutcome with a reason."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome", outcome
    issue = issue_naming(outcome, expression)
    assert issue["severity"] in ("error", "fatal")
    assert issue["diagnostics"]
    assert not any(number in response.text for number in cpr_numbers(sent))
    return issue


def acknowledgement_outcome(acknowledgement: dict[str, Any]) -> dict[str, Any]:
    """The OperationOutcome an Acknowledgement's response.details points at, from its Bundle."""
    details = header(acknowledgement)["response"]["details"]["reference"]
    outcomes = [
        entry["resource"]
        for entry in acknowledgement["entry"]
        if f"{entry['resource']['resourceType']}/{entry['resource'].get('id')}" == details
    ]
    assert len(outcomes) == 1, details
    assert outcomes[0]["resourceType"] == "OperationOutcome"
    return dict(outcomes[0])


def acknowledged(response: Any, sent: dict[str, Any], *, status: int, code: str) -> dict[str, Any]:
    """The MedCom Acknowledgement answering `sent`, with the expected HTTP status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    acknowledgement = response.json()
    assert acknowledgement["resourceType"] == "Bundle"
    assert acknowledgement["type"] == "message"
    ack_header = header(acknowledgement)
    assert ack_header["eventCoding"]["code"] == "acknowledgement-message"
    assert ack_header["response"]["identifier"] == header(sent)["id"]
    assert ack_header["response"]["code"] == code
    assert not any(number in response.text for number in cpr_numbers(sent))
    return dict(acknowledgement)


def refused_with_acknowledgement(
    response: Any, sent: dict[str, Any], *, status: int, expression: str | None
) -> dict[str, Any]:
    """A refusal of a readable message: an Acknowledgement fatal-error whose outcome says why.

    `expression` None leaves the element unchecked, for the refusals the service decides after
    reading (see test_refusals_decided_after_reading_name_the_element); all others name it.
    """
    acknowledgement = acknowledged(response, sent, status=status, code="fatal-error")
    issue = issue_naming(acknowledgement_outcome(acknowledgement), expression)
    assert issue["severity"] in ("error", "fatal")
    assert issue["diagnostics"]
    return issue


def identifier_values(organisation: dict[str, Any], sor: str, gln: str) -> None:
    for identifier in organisation["identifier"]:
        identifier["value"] = sor if identifier["system"] == "urn:oid:1.2.208.176.1.1" else gln


def receiver_of(bundle: dict[str, Any]) -> dict[str, Any]:
    organisation: dict[str, Any] = bundle["entry"][4]["resource"]
    assert header(bundle)["destination"][0]["receiver"]["reference"].endswith(organisation["id"])
    return organisation


def assert_nothing_stored(api: Api) -> None:
    """No inbox message, no episode, and the correct message afterwards is taken as a first send."""
    assert api.inbox().json()["items"] == []
    assert api.inbox(token=api.tokens.copenhagen).json()["items"] == []
    assert api.episode(EXAMPLE_EPISODE).status_code == 404

    correct = stin()
    acknowledged(api.send(correct), correct, status=200, code="ok")
    items = api.inbox().json()["items"]
    assert [(item["sequence"], item["notification_code"]) for item in items] == [(1, "STIN")]


# --- The body --------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_refused(api: Api) -> None:
    response = api.send(b'{"resourceType": "Bundle", "type": "message", ')

    issue = refused_with_outcome(response, status=400)

    assert "JSON" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize("document", [[stin()], "Bundle", 42, None], ids=type)
def test_json_that_is_not_an_object_is_refused(api: Api, document: Any) -> None:
    response = api.send(json.dumps(document).encode())

    issue = refused_with_outcome(response, status=400)

    assert "not a FHIR resource" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_resource_that_is_not_a_bundle_is_refused(api: Api) -> None:
    patient = resources(stin(), "Patient")[0]

    response = api.send(patient)

    refused_with_outcome(response, status=400, expression="Bundle", sent=stin())
    assert_nothing_stored(api)


@pytest.mark.parametrize("bundle_type", ["collection", "transaction", "document", None])
def test_a_bundle_that_is_not_a_message_is_refused(api: Api, bundle_type: str | None) -> None:
    bundle = stin()
    bundle["type"] = bundle_type

    response = api.send(bundle)

    issue = refused_with_outcome(response, status=400, expression="Bundle.type", sent=bundle)
    assert "message" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize("entries", [[], None], ids=["empty", "absent"])
def test_a_bundle_without_entries_is_refused(api: Api, entries: list[Any] | None) -> None:
    bundle = stin()
    if entries is None:
        del bundle["entry"]
    else:
        bundle["entry"] = entries

    response = api.send(bundle)

    refused_with_outcome(response, status=400, expression="Bundle.entry")
    assert_nothing_stored(api)


def test_a_bundle_whose_first_entry_is_not_the_message_header_is_refused(api: Api) -> None:
    bundle = stin()
    bundle["entry"].append(bundle["entry"].pop(0))

    response = api.send(bundle)

    issue = refused_with_outcome(
        response, status=400, expression="Bundle.entry[0].resource", sent=bundle
    )
    assert "MessageHeader" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("entries", "expression"),
    [
        ({"resource": {}}, "Bundle.entry"),
        (7, "Bundle.entry"),
        ([TEST_CPR], "Bundle.entry[0]"),
        ([{"resource": TEST_CPR}], "Bundle.entry[0].resource"),
        ([{"resource": [1, 2]}], "Bundle.entry[0].resource"),
    ],
    ids=["object", "number", "string-entry", "string-resource", "list-resource"],
)
def test_entries_that_are_not_objects_are_refused_naming_the_entry(
    api: Api, entries: Any, expression: str
) -> None:
    bundle = stin()
    bundle["entry"] = entries

    response = api.send(bundle)

    refused_with_outcome(response, status=400, expression=expression)
    assert_nothing_stored(api)


def test_a_later_entry_that_is_not_an_object_is_refused_naming_it(api: Api) -> None:
    bundle = stin()
    bundle["entry"][3] = TEST_CPR

    response = api.send(bundle)

    refused_with_outcome(response, status=400, expression="Bundle.entry[3]")
    assert_nothing_stored(api)


def test_a_20_mb_body_is_refused_as_too_large(api: Api) -> None:
    bundle = stin()
    resources(bundle, "Patient")[0]["text"] = {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{"x" * TWENTY_MB}</div>',
    }

    response = api.send(bundle)

    issue = refused_with_outcome(response, status=413)
    assert issue["code"] == "too-long"
    assert_nothing_stored(api)


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(api: Api) -> None:
    chunk = b" " * (1024 * 1024)

    # No Content-Length: the body arrives chunked and is refused while it is being read.
    response = api.client.post(
        "/fhir/$process-message",
        content=iter([chunk] * 20),
        headers={**api.auth(api.tokens.hospital), "Content-Type": "application/fhir+json"},
    )

    refused_with_outcome(response, status=413)
    assert_nothing_stored(api)


def nested(levels: int) -> Any:
    value: Any = {"url": "https://example.org/nested", "valueString": "leaf"}
    for _ in range(levels):
        value = {"url": "https://example.org/nested", "extension": [value]}
    return value


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"resourceType": "Bundle", "entry": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    ],
    ids=["arrays", "inside-a-bundle"],
)
def test_a_body_nested_ten_thousand_levels_deep_is_refused(api: Api, body: bytes) -> None:
    response = api.send(body)

    issue = refused_with_outcome(response, status=400)

    assert issue["code"] == "too-costly"
    assert_nothing_stored(api)


def test_a_message_nesting_deeper_than_the_limit_inside_an_element_is_refused(api: Api) -> None:
    bundle = stin()
    header(bundle)["extension"].append(nested(100))

    response = api.send(bundle)

    issue = refused_with_outcome(response, status=400, sent=bundle)
    assert issue["code"] == "too-costly"
    assert_nothing_stored(api)


def test_an_xml_body_nested_ten_thousand_levels_deep_is_refused(api: Api) -> None:
    body = (
        b'<Bundle xmlns="http://hl7.org/fhir">'
        + b"<extension>" * 10_000
        + b"</extension>" * 10_000
        + b"</Bundle>"
    )

    response = api.send(body, content_type="application/fhir+xml")
    # Asked for JSON, so the refusal can be read here; unasked, it comes as XML, as it was sent.
    as_json = api.client.post(
        "/fhir/$process-message?_format=json",
        content=body,
        headers={**api.auth(api.tokens.hospital), "Content-Type": "application/fhir+xml"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/fhir+xml")
    refused_with_outcome(as_json, status=400)
    assert_nothing_stored(api)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_an_unsupported_content_type_is_refused(api: Api, content_type: str) -> None:
    response = api.send(json.dumps(stin()).encode(), content_type=content_type)

    issue = refused_with_outcome(response, status=415, sent=stin())
    assert issue["code"] == "not-supported"
    assert_nothing_stored(api)


# --- Who sends, and to whom ------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ovg_not-a-token", "Basic aG9zcGl0YWw6c2VjcmV0", "Bearer"],
    ids=["none", "unknown-token", "basic", "empty-bearer"],
)
def test_a_message_without_a_valid_bearer_token_is_refused(
    api: Api, authorization: str | None
) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    if authorization is not None:
        headers["Authorization"] = authorization

    response = api.client.post(
        "/fhir/$process-message", content=json.dumps(stin()).encode(), headers=headers
    )

    issue = refused_with_outcome(response, status=401, sent=stin())
    assert issue["code"] == "login"
    assert response.headers["www-authenticate"] == "Bearer"
    assert_nothing_stored(api)


def test_a_municipality_may_not_send_a_message(api: Api) -> None:
    bundle = stin()

    response = api.send(bundle, token=api.tokens.aalborg)

    issue = refused_with_acknowledgement(response, bundle, status=403, expression=None)
    assert issue["code"] == "forbidden"
    assert "hospital" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_hospital_may_not_send_as_another_hospital(api: Api) -> None:
    bundle = stin()

    response = api.send(bundle, token=api.tokens.medcom_hospital)

    issue = refused_with_acknowledgement(response, bundle, status=403, expression=None)
    assert issue["code"] == "forbidden"
    assert "sender" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("sor", "gln"),
    [(UNREGISTERED_SOR, UNREGISTERED_GLN), (MEDCOM_SENDER_SOR, MEDCOM_SENDER_GLN)],
    ids=["unregistered", "a-hospital"],
)
def test_a_receiver_that_is_not_a_registered_municipality_is_refused(
    api: Api, sor: str, gln: str
) -> None:
    bundle = stin()
    identifier_values(receiver_of(bundle), sor, gln)
    header(bundle)["destination"][0]["endpoint"] = f"https://sor2.sum.dsdn.dk/#id={sor}"

    response = api.send(bundle)

    issue = refused_with_acknowledgement(response, bundle, status=422, expression=None)
    assert "receiver" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_message_without_a_receiver_is_refused(api: Api) -> None:
    bundle = stin()
    del header(bundle)["destination"][0]["receiver"]

    response = api.send(bundle)

    refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{HEADER}.destination[0].receiver"
    )
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("token", "sor", "expression"),
    [
        ("medcom_hospital", None, f"{HEADER}.sender"),
        ("hospital", UNREGISTERED_SOR, f"{HEADER}.destination[0].receiver"),
    ],
    ids=["other-hospital", "unregistered-receiver"],
)
def test_refusals_decided_after_reading_name_the_element(
    api: Api, token: str, sor: str | None, expression: str
) -> None:
    bundle = stin()
    if sor is not None:
        identifier_values(receiver_of(bundle), sor, UNREGISTERED_GLN)

    response = api.send(bundle, token=getattr(api.tokens, token))

    assert response.status_code in (403, 422)
    refused_with_acknowledgement(
        response, bundle, status=response.status_code, expression=expression
    )


def test_a_bundle_id_reused_for_a_new_message_is_refused(api: Api) -> None:
    first = stin()
    acknowledged(api.send(first), first, status=200, code="ok")
    second = with_fresh_ids(first)
    second["id"] = first["id"]

    response = api.send(second)

    issue = refused_with_acknowledgement(response, second, status=409, expression=None)
    assert "Bundle.id" in issue["diagnostics"]
    assert len(api.inbox().json()["items"]) == 1
