"""FHIR content negotiation (https://hl7.org/fhir/R4/http.html#mime-type): `_format`, then
`Accept`, choose JSON or XML for a FHIR answer; without either, the caller's default (a message
sent as XML is answered in XML)."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import Request
from fastapi.responses import Response

from overgang.fhir.xml_write import fhir_json_to_xml

FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
FhirFormat = Literal["json", "xml"]

# The values FHIR names for `_format` (and the MIME types of Accept), each to its format.
FORMAT_NAMES: dict[str, FhirFormat] = {
    "json": "json",
    "application/json": "json",
    "application/fhir+json": "json",
    "xml": "xml",
    "text/xml": "xml",
    "application/xml": "xml",
    "application/fhir+xml": "xml",
}
FORMAT_PARAMETER: dict[str, Any] = {
    "name": "_format",
    "in": "query",
    "required": False,
    "description": "JSON or XML for the answer (FHIR's `_format`; wins over `Accept`).",
    "schema": {"type": "string", "enum": list(FORMAT_NAMES)},
}


def format_of_content_type(content_type: str) -> FhirFormat:
    """The format a body was sent in, for answering it in kind."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return FORMAT_NAMES.get(media_type, "json")


def chosen_format(request: Request, *, default: FhirFormat = "json") -> FhirFormat:
    """`_format` if it names a format, else the best of JSON and XML in `Accept`, else `default`."""
    named = FORMAT_NAMES.get(request.query_params.get("_format", "").strip().lower())
    if named is not None:
        return named
    best: dict[FhirFormat, float] = {}
    for media_range in request.headers.get("accept", "").split(","):
        media_type, *params = (part.strip().lower() for part in media_range.split(";"))
        fmt = FORMAT_NAMES.get(media_type)
        if fmt is None:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[fmt] = max(best.get(fmt, 0.0), quality)
    top = max(best.values(), default=0.0)
    if top <= 0 or best.get(default) == top:
        return default
    return max(best, key=lambda fmt: best[fmt])


def fhir_response(
    resource: dict[str, Any] | bytes,
    fmt: FhirFormat,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A FHIR resource (a dict, or JSON bytes as stored) in the chosen format."""
    if fmt == "xml":
        return Response(
            fhir_json_to_xml(resource), status_code, headers=headers, media_type=FHIR_XML
        )
    body = resource if isinstance(resource, bytes) else orjson.dumps(resource)
    return Response(body, status_code, headers=headers, media_type=FHIR_JSON)
