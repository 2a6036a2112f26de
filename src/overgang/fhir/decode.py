"""Decoding a request body into the FHIR JSON form, refusing what cannot be read safely."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

import orjson

from overgang.domain.issues import Issue, medcom_issue
from overgang.domain.limits import (
    MAX_STRING_BYTES,
    duplicate_key_path,
    nesting_depth_exceeds,
    string_problems,
)
from overgang.fhir.acknowledgement import AcknowledgedMessage
from overgang.fhir.validate import (
    MAX_REPORTED_ERRORS,
    bundle_shape_issues,
    fhirpath,
)
from overgang.fhir.xml import XmlNotAccepted, fhir_xml_to_json

# Every JSON string token, and the ':' after it when it is a key. In well-formed JSON no '"' stands
# outside a string, so the matches stay aligned with the tokens.
_STRING_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?')
# A control character can only come in escaped (orjson refuses raw ones): \u0000-\u001f, \b, \f.
# Also true of an escaped backslash before 'b' or 'u001': then the exact check runs, no harm done.
_MAYBE_CONTROL = re.compile(rb"\\(?:u00[01]|[bf])")


class MessageRejected(Exception):
    """The message cannot be accepted; `envelope` is set when there is enough to acknowledge."""

    def __init__(
        self, issues: list[Issue], *, envelope: AcknowledgedMessage | None = None, status: int = 422
    ) -> None:
        super().__init__("; ".join(issue.diagnostics for issue in issues))
        self.issues = issues
        self.envelope = envelope
        self.status = status


def decode_body(body: bytes, content_type: str, *, max_depth: int) -> dict[str, Any]:
    """Parse a JSON or XML FHIR body into the FHIR JSON form."""
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    is_xml = media_type in ("application/fhir+xml", "application/xml", "text/xml")
    if is_xml:
        try:
            document = fhir_xml_to_json(body, max_depth=max_depth)
        except XmlNotAccepted as error:
            raise MessageRejected([medcom_issue("structure", str(error))], status=400) from None
    elif media_type in ("application/fhir+json", "application/json", ""):
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            # orjson stops at 1024 levels; that body is refused for its depth, not its syntax.
            too_deep = "depth limit" in error.msg
            raise MessageRejected(
                [_too_deep(max_depth)]
                if too_deep
                else [medcom_issue("structure", "the body is not well-formed JSON")],
                status=400,
            ) from None
    else:
        raise MessageRejected(
            [medcom_issue("not-supported", f"content type '{media_type}' is not accepted")],
            status=415,
        )
    if not isinstance(document, dict):
        raise MessageRejected(
            [medcom_issue("structure", "the body is not a FHIR resource")], status=400
        )
    if not is_xml and _passes_screen(body, document, max_depth):
        return _with_shape_checked(document)
    if nesting_depth_exceeds(document, max_depth):
        raise MessageRejected([_too_deep(max_depth)], status=400)
    # XML cannot repeat an attribute, and xml.py refuses a repeated element that does not repeat.
    repeated = None if is_xml else duplicate_key_path(body)
    if repeated is not None:
        raise MessageRejected(
            [
                medcom_issue(
                    "structure", "the key occurs more than once", expression=fhirpath(repeated)
                )
            ],
            status=400,
        )
    # Before any reader runs: it indexes the entries, and a stored U+0000 fails on PostgreSQL.
    issues = [
        medcom_issue("value", reason, expression=fhirpath(path))
        for path, reason in islice(string_problems(document), MAX_REPORTED_ERRORS)
    ]
    if issues:
        raise MessageRejected(issues, status=400)
    return _with_shape_checked(document)


def _with_shape_checked(document: dict[str, Any]) -> dict[str, Any]:
    issues = bundle_shape_issues(document)
    if issues:
        raise MessageRejected(issues, status=400)
    return document


def _passes_screen(body: bytes, document: dict[str, Any], max_depth: int) -> bool:
    """True when a JSON body cannot break the depth, repeated-key or string limits, found with
    one walk and two scans of the bytes. When it might, the exact checks above run, and they
    alone word the refusal: the screen decides nothing, it only spares the exact checks' three
    walks and second parse on an ordinary message."""
    if _MAYBE_CONTROL.search(body) or len(body) > MAX_STRING_BYTES:
        return False  # a string may hold a control character, or be too long
    keys = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth >= max_depth and node:
            return False  # its children are deeper than the limit
        children = node.values() if type(node) is dict else node
        keys += len(node) if type(node) is dict else 0
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    # Each key of the body makes one dict entry, unless its object repeats it.
    return keys == sum(1 for colon in _STRING_TOKEN.findall(body) if colon)


def _too_deep(max_depth: int) -> Issue:
    return medcom_issue("too-costly", f"the body nests deeper than {max_depth} levels")
