"""FHIR content negotiation (`_format`, `Accept`, the format sent), `GET /fhir/metadata`, and
`/docs` served from the package without any other host."""

from __future__ import annotations

import re

import orjson
import pytest

from overgang.fhir.xml import fhir_xml_to_json
from overgang.fhir.xml_write import fhir_json_to_xml
from tests.conftest import Api
from tests.messages import EXAMPLES, example

FHIR_XML = "application/fhir+xml"
FHIR_JSON = "application/fhir+json"


def _post(
    api: Api, body: bytes, content_type: str, *, accept: str | None = None, query: str = ""
) -> object:
    headers = {**api.auth(api.tokens.hospital), "Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    return api.client.post(f"/fhir/$process-message{query}", content=body, headers=headers)


def test_a_message_sent_as_xml_is_acknowledged_in_xml(api: Api) -> None:
    sent = fhir_json_to_xml((EXAMPLES / "01-admission-STIN.json").read_bytes())

    answer = _post(api, sent, FHIR_XML)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(FHIR_XML)
    ack = fhir_xml_to_json(answer.content)
    assert ack["resourceType"] == "Bundle"
    assert ack["entry"][0]["resource"]["response"]["code"] == "ok"


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        (None, "", FHIR_JSON),
        (FHIR_XML, "", FHIR_XML),
        ("application/xml;q=0.9, application/fhir+json;q=0.5", "", FHIR_XML),
        (FHIR_XML, "?_format=json", FHIR_JSON),
        (None, "?_format=xml", FHIR_XML),
        ("*/*", "?_format=nonsense", FHIR_JSON),
    ],
)
def test_accept_and_format_choose_the_answer(
    api: Api, accept: str | None, query: str, expected: str
) -> None:
    answer = _post(
        api,
        (EXAMPLES / "01-admission-STIN.json").read_bytes(),
        FHIR_JSON,
        accept=accept,
        query=query,
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(expected)


def test_an_xml_message_may_ask_for_a_json_answer(api: Api) -> None:
    sent = fhir_json_to_xml((EXAMPLES / "01-admission-STIN.json").read_bytes())

    answer = _post(api, sent, FHIR_XML, accept=FHIR_JSON)

    assert answer.headers["content-type"].startswith(FHIR_JSON)
    assert answer.json()["resourceType"] == "Bundle"


def test_a_refusal_of_an_xml_message_is_in_xml(api: Api) -> None:
    answer = _post(api, b'<Patient xmlns="http://hl7.org/fhir"><id value="x"/></Patient>', FHIR_XML)

    assert answer.status_code >= 400
    assert answer.headers["content-type"].startswith(FHIR_XML)
    assert fhir_xml_to_json(answer.content)["resourceType"] in ("Bundle", "OperationOutcome")


def test_an_inbox_message_can_be_read_as_fhir_xml(api: Api) -> None:
    sent = (EXAMPLES / "01-admission-STIN.json").read_bytes()
    assert api.send(example("01-admission-STIN.json")).status_code == 200
    [item] = api.inbox().json()["items"]

    as_xml = api.client.get(
        f"/api/v1/inbox/{item['id']}", headers={**api.auth(api.tokens.aalborg), "Accept": FHIR_XML}
    )
    as_json = api.inbox_message(item["id"], fhir=True)

    assert as_xml.status_code == 200
    assert as_xml.headers["content-type"].startswith(FHIR_XML)
    assert fhir_xml_to_json(as_xml.content) == orjson.loads(as_json.content)
    assert orjson.loads(sent)["resourceType"] == "Bundle"


def test_metadata_is_a_capability_statement_open_to_anyone(api: Api) -> None:
    as_json = api.client.get("/fhir/metadata")
    as_xml = api.client.get("/fhir/metadata", params={"_format": "xml"})

    assert as_json.status_code == as_xml.status_code == 200
    statement = as_json.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert set(statement["format"]) == {FHIR_JSON, FHIR_XML}
    assert statement["rest"][0]["operation"][0]["name"] == "process-message"
    events = statement["messaging"][0]["documentation"]
    for code in ("hospital-notification-message", "discharge-plan", "discharge-handover"):
        assert code in events
    assert fhir_xml_to_json(as_xml.content) == statement


def test_docs_load_nothing_from_another_host(api: Api) -> None:
    page = api.client.get("/docs")

    assert page.status_code == 200
    referenced = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert referenced and all(url.startswith("/") for url in referenced)
    assert "cdn" not in page.text.lower()
    assert '"validatorUrl": null' in page.text
    for url in referenced:
        asset = api.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100


def test_refusals_before_any_route_are_negotiated_too(api: Api) -> None:
    stin = fhir_json_to_xml(example("01-admission-STIN.json"))
    xml = {"Content-Type": "application/fhir+xml"}

    no_token = api.client.post("/fhir/$process-message", content=stin, headers=xml)
    no_token_json = api.client.post(
        "/fhir/$process-message?_format=json", content=stin, headers=xml
    )
    too_large = api.client.post(
        "/fhir/$process-message",
        content=stin,
        headers={**xml, **api.auth(api.tokens.hospital), "Content-Length": str(10**9)},
    )

    assert (no_token.status_code, no_token.headers["content-type"]) == (
        401,
        "application/fhir+xml",
    )
    assert no_token.headers["www-authenticate"] == "Bearer"
    assert fhir_xml_to_json(no_token.content)["resourceType"] == "OperationOutcome"
    assert no_token_json.headers["content-type"].startswith("application/fhir+json")
    assert too_large.status_code == 413
    assert too_large.headers["content-type"] == "application/fhir+xml"
