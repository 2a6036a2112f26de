"""Decoding a request body into the FHIR JSON form, refusing what cannot be read safely."""

from __future__ import annotations

from typing import Any

import orjson

from overgang.domain.issues import Issue, medcom_issue
from overgang.fhir.acknowledgement import AcknowledgedMessage
from overgang.fhir.validate import bundle_shape_issues, nesting_depth_exceeds
from overgang.fhir.xml import XmlNotAccepted, fhir_xml_to_json


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
    if media_type in ("application/fhir+xml", "application/xml", "text/xml"):
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
    if nesting_depth_exceeds(document, max_depth):
        raise MessageRejected([_too_deep(max_depth)], status=400)
    # Every reader indexes the entries, so a Bundle whose entries are not objects stops here.
    shape_issues = bundle_shape_issues(document)
    if shape_issues:
        raise MessageRejected(shape_issues, status=400)
    return document


def _too_deep(max_depth: int) -> Issue:
    return medcom_issue("too-costly", f"the body nests deeper than {max_depth} levels")
