from pathlib import Path
from xml.etree import ElementTree

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from overgang.fhir.xml import XmlNotAccepted, fhir_xml_to_json
from overgang.fhir.xml_write import fhir_json_to_xml as fhir_json_to_xml_out
from tests.fhir_xml_writer import fhir_json_to_xml
from tests.messages import EXAMPLES as EXAMPLE_DIR
from tests.messages import FIXTURES, MEDCOM

EXAMPLES = sorted(
    [*MEDCOM.glob("*.json")]
    + [path for path in EXAMPLE_DIR.glob("*.json") if path.name != "03-readiness.json"]
)
MEDCOM_STIN_JSON = MEDCOM / "Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json"
MEDCOM_TEST_CPR = "2509479989"


def _patient(inner: str) -> bytes:
    return f'<Patient xmlns="http://hl7.org/fhir"><id value="p1"/>{inner}</Patient>'.encode()


def _refusal(body: bytes, **kwargs: int) -> XmlNotAccepted:
    with pytest.raises(XmlNotAccepted) as caught:
        fhir_xml_to_json(body, **kwargs)
    return caught.value


# --- round trips -------------------------------------------------------------------------------


def test_all_example_messages_are_found() -> None:
    assert len(EXAMPLES) == 16


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_message_as_xml_converts_back_to_the_same_json(path: Path) -> None:
    original = orjson.loads(path.read_bytes())

    assert fhir_xml_to_json(fhir_json_to_xml(original)) == original


def test_stin_fixture_converts_to_the_medcom_example_and_validates() -> None:
    converted = fhir_xml_to_json((FIXTURES / "medcom-stin.xml").read_bytes())

    assert converted == orjson.loads(MEDCOM_STIN_JSON.read_bytes())
    bundle = Bundle.model_validate(converted)
    assert bundle.entry is not None and len(bundle.entry) == 6


# --- the FHIR XML rules ------------------------------------------------------------------------


def test_booleans_integers_and_decimals_become_json_values() -> None:
    body = (
        b'<Observation xmlns="http://hl7.org/fhir"><status value="final"/>'
        b'<code><text value="weight"/></code>'
        b'<valueQuantity><value value="72.50"/><unit value="kg"/></valueQuantity>'
        b'<component><code><text value="a"/></code><valueInteger value="-3"/></component>'
        b'<component><code><text value="b"/></code><valueBoolean value="false"/></component>'
        b'<component><code><text value="c"/></code>'
        b'<valueQuantity><value value="7"/></valueQuantity></component>'
        b"</Observation>"
    )

    converted = fhir_xml_to_json(body)

    assert converted["valueQuantity"] == {"value": 72.5, "unit": "kg"}
    assert [c.get("valueInteger", c.get("valueBoolean")) for c in converted["component"][:2]] == [
        -3,
        False,
    ]
    assert converted["component"][2]["valueQuantity"]["value"] == orjson.loads(b"7")
    assert converted["component"][1]["code"] == {"text": "b"}


def test_id_and_extensions_of_a_primitive_go_to_its_underscore_sibling() -> None:
    ext = '<extension url="http://x.dk/ext"><valueCode value="estimated"/></extension>'
    body = _patient(
        f'<name><given value="Anna"/><given id="g2">{ext}</given><given value="Bo"/></name>'
        f'<birthDate id="bd" value="1947-09-25">{ext}</birthDate>'
    )

    converted = fhir_xml_to_json(body)

    extension = {"url": "http://x.dk/ext", "valueCode": "estimated"}
    assert converted["name"] == [
        {
            "given": ["Anna", None, "Bo"],
            "_given": [None, {"id": "g2", "extension": [extension]}, None],
        }
    ]
    assert converted["birthDate"] == "1947-09-25"
    assert converted["_birthDate"] == {"id": "bd", "extension": [extension]}


def test_element_ids_are_attributes_and_repeating_elements_are_lists() -> None:
    body = _patient('<identifier id="i1"><value value="a"/></identifier><active value="true"/>')

    assert fhir_xml_to_json(body) == {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"id": "i1", "value": "a"}],
        "active": True,
    }


def test_contained_resources_comments_and_schema_location_are_handled() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- sent by EPJ -->\n'
        b'<Encounter xmlns="http://hl7.org/fhir" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="http://hl7.org/fhir fhir-all.xsd">\n'
        b'  <contained><Patient><id value="c1"/><!-- note --></Patient></contained>\n'
        b'  <status value="finished"/>\n'
        b'  <class><code value="IMP"/></class>\n'
        b'  <subject><reference value="#c1"/></subject>\n'
        b"</Encounter>\n"
    )

    assert fhir_xml_to_json(body) == {
        "resourceType": "Encounter",
        "contained": [{"resourceType": "Patient", "id": "c1"}],
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": {"reference": "#c1"},
    }


def test_narrative_stays_an_xhtml_string() -> None:
    div = (
        '<div xmlns="http://www.w3.org/1999/xhtml">'
        '<p class="x">Tom &amp; <b>Jerry</b> &lt;3</p><br/></div>'
    )
    body = _patient(f'<text><status value="generated"/>{div}</text>')

    assert fhir_xml_to_json(body)["text"] == {"status": "generated", "div": div}


def test_utf16_body_is_read() -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<Patient xmlns="http://hl7.org/fhir"><id value="Ærø"/></Patient>'
    )

    assert fhir_xml_to_json(body.encode("utf-16"))["id"] == "Ærø"


# --- refusals ----------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Patient [
 <!ENTITY lol "2509479989">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Patient xmlns="http://hl7.org/fhir"><id value="&lol3;"/></Patient>"""


def test_entity_bomb_is_refused() -> None:
    assert "document type declaration" in str(_refusal(BILLION_LAUGHS))


def test_external_entity_is_refused() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Patient xmlns="http://hl7.org/fhir"><id value="&x;"/></Patient>'
    )

    assert "not allowed" in str(_refusal(body))


def test_too_deep_nesting_is_refused_while_parsing() -> None:
    nested = '<extension url="http://x.dk/e">' * 100 + "</extension>" * 100

    assert "deeper than 64" in str(_refusal(_patient(nested)))


def test_max_depth_applies_to_a_valid_message() -> None:
    stin = (FIXTURES / "medcom-stin.xml").read_bytes()

    assert "deeper than 4" in str(_refusal(stin, max_depth=4))
    assert fhir_xml_to_json(stin, max_depth=12)["type"] == "message"


@pytest.mark.parametrize(
    "body",
    [
        b'<Patient xmlns="http://example.org/fhir"><id value="p"/></Patient>',
        b'<Patient><id value="p"/></Patient>',
    ],
    ids=["other-namespace", "no-namespace"],
)
def test_wrong_namespace_is_refused(body: bytes) -> None:
    assert "not in the FHIR namespace" in str(_refusal(body))


@pytest.mark.parametrize(
    "body",
    [b'{"resourceType": "Patient"}', b"", b"\x00\xff\xfe garbage", b"<Patient", b"<a/><b/>"],
    ids=["json", "empty", "binary", "unclosed", "two-roots"],
)
def test_not_xml_is_refused(body: bytes) -> None:
    assert "not well-formed XML" in str(_refusal(body))


@pytest.mark.parametrize("root", ["Foo", "Coding", "Resource", "DomainResource", "BundleEntry"])
def test_root_that_is_not_a_resource_type_is_refused(root: str) -> None:
    body = f'<{root} xmlns="http://hl7.org/fhir"><id value="x"/></{root}>'.encode()

    assert f"{root} is not a FHIR R4 resource type" in str(_refusal(body))


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ('<nickname value="x"/>', "Patient: unexpected element nickname"),
        (
            '<gender value="male"/><gender value="female"/>',
            "Patient.gender: may occur at most once",
        ),
        ('<active value="ja"/>', "Patient.active: the value is not a valid boolean"),
        ('<multipleBirthInteger value="2.0"/>', "not a valid integer"),
        ('<multipleBirthInteger value="2147483648"/>', "not a valid integer"),
        (f'<multipleBirthInteger value="{"9" * 5000}"/>', "not a valid integer"),
        ('<gender value=""/>', "Patient.gender: the value attribute is empty"),
        ("<gender/>", "Patient.gender: has neither a value nor extensions"),
        ("<link/>", "Patient.link[0]: the element is empty"),
        (
            '<text><status value="generated"/><div><p/></div></text>',
            "Patient.text.div: the element must be in the namespace http://www.w3.org/1999/xhtml",
        ),
        (
            "<contained>"
            '<Patient><id value="a"/></Patient><Patient><id value="b"/></Patient>'
            "</contained>",
            "exactly one resource element",
        ),
    ],
)
def test_structural_errors_name_the_element(inner: str, expected: str) -> None:
    assert expected in str(_refusal(_patient(inner)))


def test_error_carries_a_fhirpath_location() -> None:
    body = (
        b'<Bundle xmlns="http://hl7.org/fhir"><type value="message"/>'
        b'<entry><resource><Patient><active value="true"/></Patient></resource></entry>'
        b'<entry><resource><Patient><active value="yes"/></Patient></resource></entry></Bundle>'
    )

    assert _refusal(body).expression == "Bundle.entry[1].resource.active"


def test_decimal_that_json_would_not_accept_is_refused() -> None:
    body = (
        b'<Observation xmlns="http://hl7.org/fhir">'
        b'<valueQuantity><value value="NaN"/></valueQuantity></Observation>'
    )

    assert "not a valid decimal" in str(_refusal(body))


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        b'<!DOCTYPE x SYSTEM "2509479989.dtd"><Patient xmlns="http://hl7.org/fhir"/>',
        _patient("<gender>2509479989</gender>"),
        _patient(f'<identifier><value value="{MEDCOM_TEST_CPR}"/></identifier>2509479989'),
        _patient('<active value="2509479989"/>'),
        _patient('<multipleBirthInteger value="2509479989x"/>'),
        _patient('<gender value="male" cpr="2509479989"/>'),
        _patient('<identifier><value value="2509479989"/><x2509479989 value="1"/></identifier>'),
        _patient('<text><status value="generated"/><div xmlns="urn:x">2509479989</div></text>'),
        b'<x2509479989 xmlns="http://hl7.org/fhir"/>',
        b'<Patient xmlns="urn:2509479989"><id value="2509479989"/></Patient>',
        b'<Patient xmlns="http://hl7.org/fhir"><id value="2509479989"/></Patient',
    ],
)
def test_error_messages_never_repeat_document_content(body: bytes) -> None:
    refusal = _refusal(body)

    assert MEDCOM_TEST_CPR not in str(refusal)
    assert MEDCOM_TEST_CPR not in repr(refusal)
    assert refusal.__cause__ is None


# --- the writer (overgang.fhir.xml_write) --------------------------------------------------------


@pytest.mark.parametrize(
    "path", [*EXAMPLES, *sorted((FIXTURES / "medcom-ack").glob("*.json"))], ids=lambda p: p.name
)
def test_every_example_written_as_xml_reads_back_as_the_same_json(path: Path) -> None:
    sent = path.read_bytes()

    written = fhir_json_to_xml_out(sent)

    assert fhir_xml_to_json(written) == orjson.loads(sent)
    assert written == fhir_json_to_xml_out(orjson.loads(sent))  # from bytes or from a dict


def test_written_xml_orders_elements_as_the_test_writer_and_validates() -> None:
    sent = MEDCOM_STIN_JSON.read_bytes()
    written = fhir_json_to_xml_out(sent)
    independent = fhir_json_to_xml(orjson.loads(sent))

    def tags(xml: bytes) -> list[str]:
        return [element.tag for element in ElementTree.fromstring(xml).iter()]

    assert tags(written) == tags(independent)
    assert Bundle.model_validate(fhir_xml_to_json(written)).type == "message"


def test_writer_keeps_decimal_text_attributes_extensions_and_narrative() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Tom &amp; <b>Jerry</b></p></div>'
    sent = orjson.dumps(
        {
            "resourceType": "Observation",
            "text": {"status": "generated", "div": div},
            "status": "final",
            "code": {"text": 'a "quoted" <b>\nline'},
            "valueQuantity": {"id": "q1", "value": 0},
            "extension": [{"url": "http://x.dk/e", "valueBoolean": False}],
            "_status": {"id": "s1", "extension": [{"url": "http://x.dk/f", "valueCode": "c"}]},
        }
    ).replace(b'"value":0', b'"value":72.50')

    written = fhir_json_to_xml_out(sent)

    assert b'<value value="72.50"/>' in written
    assert b'<valueQuantity id="q1">' in written
    assert b'<status id="s1" value="final"><extension url="http://x.dk/f">' in written
    assert b"&quot;quoted&quot; &lt;b&gt;&#10;line" in written
    assert (
        written.index(b"<text>")
        < written.index(b'<extension url="http://x.dk/e"')
        < written.index(b'<status id="s1"')
    )
    back = fhir_xml_to_json(written)
    assert back["text"]["div"] == div
    assert back == orjson.loads(sent)
