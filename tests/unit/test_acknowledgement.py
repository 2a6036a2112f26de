import copy
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from overgang.domain.issues import MEDCOM_ERROR_SYSTEM, Issue, medcom_issue
from overgang.fhir.acknowledgement import (
    BUNDLE_PROFILE,
    HEADER_PROFILE,
    MEDCOM_ERROR_CODES,
    MSG_VALUESET_VALUE_UNKNOWN,
    OPERATION_OUTCOME_PROFILE,
    AcknowledgedMessage,
    Responder,
    build_acknowledgement,
    build_operation_outcome,
)
from overgang.fhir.codes import (
    GLN_SYSTEM,
    OVERGANG_BASE,
    SOR_SYSTEM,
)
from overgang.fhir.codes import (
    MEDCOM_ACTIVITY_SYSTEM as ACTIVITY_CODES_SYSTEM,
)
from overgang.fhir.codes import (
    MEDCOM_EVENT_SYSTEM as EVENT_CODES_SYSTEM,
)

# The sender Organization and new Provenance of MedCom's STIN example (HospitalNotification 3.0.2,
# Bundle a5e5b880-...), as received.
STIN_HEADER_ID = "b9b4818e-02de-4cc4-b418-d20cbc7b5404"
HOSPITAL_ORGANIZATION: dict[str, Any] = {
    "resourceType": "Organization",
    "id": "o7056980-a8b2-42aa-8a0e-c1fc85d1f40d",
    "meta": {
        "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
        ]
    },
    "identifier": [
        {"system": "https://www.gs1.org/gln", "value": "5790000209354"},
        {"system": "urn:oid:1.2.208.176.1.1", "value": "265161000016000"},
    ],
    "name": "Hjerteafdelingen på Herlev og Gentofte hospital",
}
STIN_PROVENANCE: dict[str, Any] = {
    "resourceType": "Provenance",
    "id": "a7cf3888-6f42-4e4d-929c-d2475d24fba0",
    "meta": {
        "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
        ]
    },
    "target": [{"reference": f"MessageHeader/{STIN_HEADER_ID}"}],
    "occurredDateTime": "2022-12-07T12:00:02+02:00",
    "recorded": "2022-12-07T12:00:02+02:00",
    "activity": {"coding": [{"system": ACTIVITY_CODES_SYSTEM, "code": "admit-inpatient"}]},
    "agent": [{"who": {"reference": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d"}}],
}
HOSPITAL_ENDPOINT = "https://sor2.sum.dsdn.dk/#id=265161000016000"

STIN = AcknowledgedMessage(
    header_id=STIN_HEADER_ID,
    sender_organization=HOSPITAL_ORGANIZATION,
    source_endpoint=HOSPITAL_ENDPOINT,
    new_provenance=STIN_PROVENANCE,
)
OVERGANG = Responder(
    sor="953741000016009",
    gln="5790001348120",
    name="Overgang",
    endpoint="https://sor2.sum.dsdn.dk/#id=953741000016009",
)
NOW = datetime(2022, 12, 7, 12, 0, 5, tzinfo=timezone(timedelta(hours=1)))
VALUESET_ERROR = medcom_issue(
    "structure",
    "Encounter.class is not in the value set",
    expression="Bundle.entry[3].resource.class",
    medcom_code=MSG_VALUESET_VALUE_UNKNOWN,
)
WARNING = Issue(
    severity="warning",
    code="business-rule",
    diagnostics="The receiver's SOR id fails its Verhoeff check",
    expression="Bundle.entry[1].resource.identifier[1].value",
)


def acknowledge(**overrides: Any) -> dict[str, Any]:
    counter = itertools.count(1)
    arguments: dict[str, Any] = {
        "acknowledged": STIN,
        "responder": OVERGANG,
        "response_code": "ok",
        "issues": [],
        "now": NOW,
        "new_id": lambda: f"id-{next(counter)}",
    }
    return build_acknowledgement(**(arguments | overrides))


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]


def header_of(bundle: dict[str, Any]) -> dict[str, Any]:
    header: dict[str, Any] = bundle["entry"][0]["resource"]
    return header


def new_provenance_of(bundle: dict[str, Any]) -> dict[str, Any]:
    target = f"MessageHeader/{header_of(bundle)['id']}"
    (provenance,) = [
        p for p in resources(bundle, "Provenance") if p["target"][0]["reference"] == target
    ]
    return provenance


def resolve(bundle: dict[str, Any], reference: str) -> dict[str, Any]:
    """Resolve a relative reference the way a receiver does: against the entries' fullUrls."""
    (resource,) = [
        e["resource"] for e in bundle["entry"] if e["fullUrl"] == f"{OVERGANG_BASE}/{reference}"
    ]
    return resource


def references_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [r for v in value.values() for r in references_in(v)]
    if isinstance(value, list):
        return [r for v in value for r in references_in(v)]
    return []


# --- An ok acknowledgement ---------------------------------------------------------------------


def test_ok_acknowledgement_is_a_message_bundle_led_by_its_header() -> None:
    bundle = acknowledge()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "message"
    assert bundle["meta"]["profile"] == [BUNDLE_PROFILE]
    assert bundle["timestamp"] == "2022-12-07T12:00:05+01:00"
    header = header_of(bundle)
    assert header["resourceType"] == "MessageHeader"
    assert header["meta"]["profile"] == [HEADER_PROFILE]
    assert header["eventCoding"] == {
        "system": EVENT_CODES_SYSTEM,
        "code": "acknowledgement-message",
    }
    assert header["response"] == {"identifier": STIN_HEADER_ID, "code": "ok"}
    assert resources(bundle, "OperationOutcome") == []


def test_ok_acknowledgement_validates_as_r4_bundle() -> None:
    Bundle.model_validate(acknowledge())


def test_acknowledgement_has_the_same_entries_as_medcoms_ok_example() -> None:
    kinds = [entry["resource"]["resourceType"] for entry in acknowledge()["entry"]]
    assert kinds == ["MessageHeader", "Provenance", "Provenance", "Organization", "Organization"]


def test_the_one_destination_is_the_original_sender_at_its_source_endpoint() -> None:
    bundle = acknowledge()
    (destination,) = header_of(bundle)["destination"]
    assert destination["endpoint"] == HOSPITAL_ENDPOINT
    assert destination["extension"][0]["valueCoding"]["code"] == "primary"
    assert resolve(bundle, destination["receiver"]["reference"]) == HOSPITAL_ORGANIZATION


def test_the_sender_is_overgang_with_sor_and_gln() -> None:
    bundle = acknowledge()
    header = header_of(bundle)
    sender = resolve(bundle, header["sender"]["reference"])
    assert sender["name"] == "Overgang"
    assert {(i["system"], i["value"]) for i in sender["identifier"]} == {
        (SOR_SYSTEM, "953741000016009"),
        (GLN_SYSTEM, "5790001348120"),
    }
    assert header["source"] == {"endpoint": OVERGANG.endpoint}


def test_responder_without_gln_is_identified_by_sor_only() -> None:
    responder = Responder(sor="953741000016009", gln=None, name="Overgang", endpoint="https://x")
    bundle = acknowledge(responder=responder)
    sender = resolve(bundle, header_of(bundle)["sender"]["reference"])
    assert sender["identifier"] == [{"system": SOR_SYSTEM, "value": "953741000016009"}]


# --- Provenances -------------------------------------------------------------------------------


def test_exactly_two_provenances_one_copied_unchanged() -> None:
    bundle = acknowledge()
    provenances = resources(bundle, "Provenance")
    assert len(provenances) == 2
    assert STIN_PROVENANCE in provenances


def test_new_provenance_records_the_acknowledgement_of_the_received_header() -> None:
    bundle = acknowledge()
    provenance = new_provenance_of(bundle)
    assert provenance["activity"]["coding"] == [
        {"system": ACTIVITY_CODES_SYSTEM, "code": "acknowledgement"}
    ]
    assert provenance["entity"] == [
        {"role": "revision", "what": {"reference": f"MessageHeader/{STIN_HEADER_ID}"}}
    ]
    assert provenance["occurredDateTime"] == provenance["recorded"] == bundle["timestamp"]
    assert resolve(bundle, provenance["agent"][0]["who"]["reference"])["name"] == "Overgang"


def test_new_provenance_target_and_response_identifier_agree() -> None:
    # MedCom's examples let these disagree; the acknowledged header must be the same in both.
    bundle = acknowledge()
    header = header_of(bundle)
    entity = new_provenance_of(bundle)["entity"][0]["what"]["reference"]
    assert entity == f"MessageHeader/{header['response']['identifier']}"


def test_message_without_a_provenance_gets_only_the_new_one() -> None:
    stripped = AcknowledgedMessage(
        header_id=STIN_HEADER_ID,
        sender_organization=HOSPITAL_ORGANIZATION,
        source_endpoint=HOSPITAL_ENDPOINT,
        new_provenance=None,
    )
    bundle = acknowledge(
        acknowledged=stripped, response_code="fatal-error", issues=[VALUESET_ERROR]
    )
    assert len(resources(bundle, "Provenance")) == 1
    Bundle.model_validate(bundle)


# --- References and ids ------------------------------------------------------------------------


def test_references_resolve_inside_the_bundle_except_to_the_acknowledged_header() -> None:
    bundle = acknowledge(response_code="fatal-error", issues=[VALUESET_ERROR])
    for reference in references_in(bundle):
        if reference == f"MessageHeader/{STIN_HEADER_ID}":
            continue  # the acknowledged message is, by design, not part of the acknowledgement
        resource = resolve(bundle, reference)
        assert f"{resource['resourceType']}/{resource['id']}" == reference


def test_full_urls_are_absolute_and_unique() -> None:
    bundle = acknowledge(issues=[WARNING])
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert all(url.startswith(f"{OVERGANG_BASE}/") for url in full_urls)
    assert len(set(full_urls)) == len(full_urls)


def test_every_acknowledgement_gets_new_bundle_and_header_ids() -> None:
    first = build_acknowledgement(
        acknowledged=STIN, responder=OVERGANG, response_code="ok", issues=[], now=NOW
    )
    second = build_acknowledgement(
        acknowledged=STIN, responder=OVERGANG, response_code="ok", issues=[], now=NOW
    )
    assert first["id"] != second["id"]
    assert header_of(first)["id"] != header_of(second)["id"]
    assert header_of(first)["id"] != STIN_HEADER_ID


def test_received_resources_are_copied_not_shared() -> None:
    before = copy.deepcopy((HOSPITAL_ORGANIZATION, STIN_PROVENANCE))
    bundle = acknowledge()
    for resource in resources(bundle, "Organization") + resources(bundle, "Provenance"):
        resource["name"] = "changed"
    assert before == (HOSPITAL_ORGANIZATION, STIN_PROVENANCE)


# --- Errors and warnings -----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["fatal-error", "transient-error"])
def test_error_acknowledgement_has_details(code: str) -> None:
    bundle = acknowledge(response_code=code, issues=[VALUESET_ERROR])
    response = header_of(bundle)["response"]
    assert response["code"] == code
    outcome = resolve(bundle, response["details"]["reference"])
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["meta"]["profile"] == [OPERATION_OUTCOME_PROFILE]
    assert outcome["issue"] == [
        {
            "severity": "error",
            "code": "structure",
            "details": {
                "coding": [
                    {
                        "system": MEDCOM_ERROR_SYSTEM,
                        "code": "MSG_VALUESET_VALUE_UNKNOWN",
                        "display": "The value provided is not in the valueSet",
                    }
                ]
            },
            "diagnostics": "Encounter.class is not in the value set",
            "expression": ["Bundle.entry[3].resource.class"],
        }
    ]
    Bundle.model_validate(bundle)


def test_ok_with_warnings_still_tells_the_sender() -> None:
    bundle = acknowledge(issues=[WARNING])
    response = header_of(bundle)["response"]
    assert response["code"] == "ok"
    outcome = resolve(bundle, response["details"]["reference"])
    assert [issue["severity"] for issue in outcome["issue"]] == ["warning"]
    Bundle.model_validate(bundle)


def test_error_acknowledgement_without_issues_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one issue"):
        acknowledge(response_code="fatal-error", issues=[])


def test_ok_acknowledgement_with_an_error_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot carry error"):
        acknowledge(issues=[VALUESET_ERROR])


def test_sender_organization_without_id_is_refused() -> None:
    anonymous = {k: v for k, v in HOSPITAL_ORGANIZATION.items() if k != "id"}
    message = AcknowledgedMessage(
        header_id=STIN_HEADER_ID,
        sender_organization=anonymous,
        source_endpoint=HOSPITAL_ENDPOINT,
        new_provenance=STIN_PROVENANCE,
    )
    with pytest.raises(ValueError, match="no id"):
        acknowledge(acknowledged=message)


# --- Time --------------------------------------------------------------------------------------


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        acknowledge(now=datetime(2022, 12, 7, 12, 0, 5))


def test_utc_time_keeps_its_offset() -> None:
    bundle = acknowledge(now=datetime(2022, 12, 7, 11, 0, 5, 123000, tzinfo=UTC))
    assert bundle["timestamp"] == "2022-12-07T11:00:05.123000+00:00"
    Bundle.model_validate(bundle)


# --- OperationOutcome on its own ---------------------------------------------------------------


def test_empty_issue_list_gives_one_information_issue() -> None:
    outcome = build_operation_outcome([])
    assert outcome == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational", "diagnostics": "All OK"}],
    }
    OperationOutcome.model_validate(outcome)


def test_operation_outcome_carries_every_issue_in_order() -> None:
    local_code = Issue(
        severity="fatal",
        code="invalid",
        diagnostics="Body is not JSON",
        details_code="not-json",
    )
    outcome = build_operation_outcome([WARNING, local_code], id="oo-1")
    assert outcome["id"] == "oo-1"
    assert "meta" not in outcome  # plain: the MedCom profile is added only inside an ack
    assert [issue["severity"] for issue in outcome["issue"]] == ["warning", "fatal"]
    assert "details" not in outcome["issue"][0]
    assert outcome["issue"][1]["details"] == {"coding": [{"code": "not-json"}]}
    OperationOutcome.model_validate(outcome)


def test_medcom_error_codes_list_the_published_codesystem() -> None:
    assert len(MEDCOM_ERROR_CODES) == 9
    assert all(code.startswith("MSG_") for code in MEDCOM_ERROR_CODES)
    # Used by MedCom's own fatal-error and transient-error examples.
    assert {
        "MSG_VALUESET_VALUE_UNKNOWN",
        "MSG_Mailbox_Out_Of_Operation",
    } <= MEDCOM_ERROR_CODES.keys()


def test_narratives_are_well_formed_xhtml_even_with_markup_in_names() -> None:
    # fhir.resources does not check the div, so a broken one would only show at the receiver.
    responder = Responder(sor="953741000016009", gln=None, name="<b>A & B</b>", endpoint="x")
    bundle = acknowledge(responder=responder)
    divs = [e["resource"]["text"]["div"] for e in bundle["entry"] if "text" in e["resource"]]
    assert len(divs) == 2  # the header and Overgang's Organization
    for div in divs:
        root = fromstring(div)
        assert root.tag == "{http://www.w3.org/1999/xhtml}div"
        assert "<b>A &" not in div
        assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in div
