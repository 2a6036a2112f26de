"""Checks a message Bundle must pass before anything is stored.

`fhir.resources` checks datatypes and cardinalities; it does not check required bindings,
entry order, or that references resolve, and an unknown resourceType raises a bare KeyError.
Everything here turns such failures into Issues that name the element and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from overgang.domain.issues import Issue, medcom_issue
from overgang.fhir.bundle import BundleIndex
from overgang.fhir.model_classes import cache_model_class_lookup

MAX_REPORTED_ERRORS = 20

cache_model_class_lookup()


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


def bundle_shape_issues(document: dict[str, Any]) -> list[Issue]:
    """A Bundle's `entry` must be a list of objects whose `resource`, if any, is an object.

    Checked before anything indexes the entries, which assumes that much.
    """
    if document.get("resourceType") != "Bundle" or "entry" not in document:
        return []
    entries = document["entry"]
    if not isinstance(entries, list):
        return [medcom_issue("structure", "Bundle.entry must be a list", expression="Bundle.entry")]
    issues = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            issues.append(
                medcom_issue(
                    "structure",
                    "an entry must be an object",
                    expression=f"Bundle.entry[{position}]",
                )
            )
        elif "resource" in entry and not isinstance(entry["resource"], dict):
            issues.append(
                medcom_issue(
                    "structure",
                    "an entry's resource must be an object",
                    expression=f"Bundle.entry[{position}].resource",
                )
            )
    return issues[:MAX_REPORTED_ERRORS]


def fhirpath(location: tuple[int | str, ...], root: str = "Bundle") -> str:
    path = root
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_with_fhir_resources(document: dict[str, Any]) -> list[Issue]:
    """Datatype and cardinality checks of the R4 Bundle model."""
    # fhir.resources raises a bare KeyError on an unknown resourceType: name the entries first.
    unknown = [
        medcom_issue(
            "structure",
            "unknown or missing resourceType",
            expression=f"Bundle.entry[{position}].resource.resourceType",
        )
        for position, resource in _positioned_resources(document)
        if not _is_known_resource_type(resource.get("resourceType"))
    ]
    if unknown:
        return unknown[:MAX_REPORTED_ERRORS]
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
            medcom_issue(
                "invalid",
                f"the Bundle is not valid FHIR R4 ({type(error).__name__})",
                expression="Bundle",
            )
        ]
    return []


def _positioned_resources(document: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each entry's resource with the entry's own position, so issues point at the right one."""
    entries = document.get("entry")
    for position, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield position, entry["resource"]


# Abstract bases: fhir.resources knows their classes, but no resource is one of them.
_ABSTRACT_TYPES = frozenset({"Resource", "DomainResource"})


def _is_known_resource_type(resource_type: Any) -> bool:
    if not isinstance(resource_type, str) or resource_type in _ABSTRACT_TYPES:
        return False
    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError):
        return False
    # Datatypes (HumanName, Element, ...) have model classes too, but are not resources.
    return isinstance(model, type) and issubclass(model, Resource)


def unresolved_references(document: dict[str, Any], index: BundleIndex) -> list[Issue]:
    """Every reference inside the message must point at one of its entries.

    Provenance targets and entities name earlier messages of the episode, which are not in
    this Bundle, so they are left out.
    """
    issues = []
    for position, resource in _positioned_resources(document):
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
