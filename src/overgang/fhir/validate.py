"""Checks a message Bundle must pass before anything is stored.

`fhir.resources` checks datatypes and cardinalities; it does not check required bindings,
entry order, or that references resolve, and an unknown resourceType raises a bare KeyError.
Everything here turns such failures into Issues that name the element and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from overgang.domain.issues import Issue, medcom_issue
from overgang.fhir.bundle import BundleIndex

MAX_REPORTED_ERRORS = 20


def nesting_depth_exceeds(document: Any, limit: int) -> bool:
    """True when the JSON document nests deeper than `limit` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def fhirpath(location: tuple[int | str, ...], root: str = "Bundle") -> str:
    path = root
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_with_fhir_resources(document: dict[str, Any]) -> list[Issue]:
    """Datatype and cardinality checks of the R4 Bundle model."""
    for index, resource in enumerate(_entry_resources(document)):
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or not _is_known_resource_type(resource_type):
            return [
                medcom_issue(
                    "structure",
                    "unknown or missing resourceType",
                    expression=f"Bundle.entry[{index}].resource.resourceType",
                )
            ]
    try:
        Bundle.model_validate(document)
    except ValidationError as error:
        # Pydantic's messages describe the rule; the offending input is deliberately not shown.
        return [
            medcom_issue("invalid", detail["msg"], expression=fhirpath(tuple(detail["loc"])))
            for detail in error.errors()[:MAX_REPORTED_ERRORS]
        ]
    except (KeyError, TypeError, ValueError) as error:
        return [
            medcom_issue("invalid", f"the Bundle is not valid FHIR R4 ({type(error).__name__})")
        ]
    return []


def _entry_resources(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in document.get("entry") or []:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield entry["resource"]


def _is_known_resource_type(resource_type: str) -> bool:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(resource_type)
    except (KeyError, ValueError):
        return False
    return True


def unresolved_references(document: dict[str, Any], index: BundleIndex) -> list[Issue]:
    """Every reference inside the message must point at one of its entries.

    Provenance targets and entities name earlier messages of the episode, which are not in
    this Bundle, so they are left out.
    """
    issues = []
    for position, resource in enumerate(_entry_resources(document)):
        if resource.get("resourceType") == "Provenance":
            continue
        for path, reference in _references(resource, f"Bundle.entry[{position}].resource"):
            if reference.startswith("#"):
                continue
            if index.resolve(reference) is None:
                issues.append(
                    medcom_issue(
                        "structure", "the reference does not resolve to an entry", expression=path
                    )
                )
    return issues


def _references(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str):
            yield f"{path}.reference", reference
        for key, value in node.items():
            if key not in ("reference", "contained"):
                yield from _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for position, item in enumerate(node):
            yield from _references(item, f"{path}[{position}]")
