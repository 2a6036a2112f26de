"""Reading FHIR R4 data types from plain JSON dicts, for `overgang.fhir.content`.

Tolerant of what is missing (None or empty); a malformed value raises `ContentError`, whose message
names the element and never repeats the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from overgang.fhir.bundle import BundleIndex, Resource
from overgang.fhir.codes import SOR_SYSTEM

CODE_SYSTEM_BASE = "https://fhir.overgang.dk/CodeSystem/"
EXTENSION_BASE = "https://fhir.overgang.dk/StructureDefinition/"
CONDITION_VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_KINDS = {
    "Patient": "patient",
    "Practitioner": "practitioner",
    "PractitionerRole": "practitioner",
    "Organization": "organisation",
    "RelatedPerson": "related-person",
    "CareTeam": "care-team",
    "Location": "location",
    "HealthcareService": "healthcare-service",
    "Device": "device",
}


class ContentError(ValueError):
    """A malformed element. The message names the element, never its value (clinical text, CPR)."""

    def __init__(self, expression: str, problem: str) -> None:
        super().__init__(f"{expression} {problem}")
        self.expression = expression


def live(bundle: BundleIndex, resource_type: str) -> Iterator[tuple[str, Resource]]:
    """Resources of a type, each with its path ("Appointment[1]"), less those entered in error."""
    for i, resource in enumerate(bundle.of_type(resource_type)):
        verification = resource.get("verificationStatus")
        if resource.get("status") == "entered-in-error" or "entered-in-error" in codes_in(
            verification, CONDITION_VERIFICATION_SYSTEM
        ):
            continue
        yield f"{resource_type}[{i}]", resource


def party(bundle: BundleIndex, reference: Any) -> tuple[str, str | None]:
    """The kind of party a Reference points at, and its SOR code when it is an organisation."""
    reference = as_dict(reference)
    target = bundle.resolve(reference)
    if target is not None:
        resource_type = target.get("resourceType")
        identifiers = target.get("identifier") if resource_type == "Organization" else None
    else:  # not in the Bundle: read the type and a logical identifier off the Reference itself
        parts = str(reference.get("reference") or "").rstrip("/").split("/")
        resource_type = reference.get("type") or (parts[-2] if len(parts) >= 2 else None)
        identifiers = [reference.get("identifier")]  # Reference.identifier is 0..1
    kind = _KINDS.get(resource_type, "other") if isinstance(resource_type, str) else "other"
    for identifier in map(as_dict, as_list(identifiers)):
        if identifier.get("system") == SOR_SYSTEM and (sor := string(identifier.get("value"))):
            return "organisation", sor  # SOR codes name organisations only
    return kind, None


def extensions(element: Resource, name: str, where: str) -> Iterator[tuple[str, Resource]]:
    for i, extension in enumerate(as_list(element.get("extension"))):
        if isinstance(extension, dict) and extension.get("url") == EXTENSION_BASE + name:
            yield f"{where}.extension[{i}]", extension


def codes_in(value: Any, system: str) -> list[str]:
    """The codes in `system` of a Coding, a CodeableConcept, or a list of either."""
    if isinstance(value, list):
        return [code for item in value for code in codes_in(item, system)]
    if not isinstance(value, dict):
        return []
    if "coding" in value:
        return codes_in(value["coding"], system)
    code = string(value.get("code"))
    return [code] if code and value.get("system") == system else []


def our_code(value: Any, code_system: str, known: frozenset[str], where: str) -> str | None:
    """The first code from one of Overgang's CodeSystems; a code it does not define is an error."""
    codes = codes_in(value, CODE_SYSTEM_BASE + code_system)
    if any(code not in known for code in codes):
        raise ContentError(where, f"has a code that CodeSystem/{code_system} does not define")
    return codes[0] if codes else None


def date_or_instant(value: Any, where: str) -> date | datetime | None:
    """A FHIR date (YYYY-MM-DD) or a dateTime with time and timezone; None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            if _FULL_DATE.fullmatch(value):
                return date.fromisoformat(value)
            if match := _DATE_TIME.fullmatch(value):
                seconds, fraction, offset = match.groups()
                # Python keeps microseconds; FHIR allows any number of decimals.
                offset = "+00:00" if offset == "Z" else offset
                return datetime.fromisoformat(seconds + (fraction or "")[:7] + offset)
        except ValueError:
            # The parser's message repeats the value, so it is not chained.
            raise ContentError(where, "is not a valid date or time") from None
    raise ContentError(where, "is not a full date, or a date and time with a timezone")


def instant(value: Any, where: str) -> datetime | None:
    parsed = date_or_instant(value, where)
    if parsed is not None and not isinstance(parsed, datetime):
        raise ContentError(where, "needs a time of day with a timezone, not only a date")
    return parsed


def human_name(resource: Resource) -> str | None:
    name = resource.get("name")
    if isinstance(name, str):  # Organization.name
        return string(name)
    for human in map(as_dict, as_list(name)):
        parts = [*as_list(human.get("given")), human.get("family")]
        text = string(human.get("text")) or " ".join(p for p in parts if string(p))
        if text and human.get("use") != "old":
            return text
    return None


def phone_number(resource: Resource) -> str | None:
    for telecom in map(as_dict, as_list(resource.get("telecom"))):
        if telecom.get("system") == "phone" and (value := string(telecom.get("value"))):
            return value
    return None


def string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
