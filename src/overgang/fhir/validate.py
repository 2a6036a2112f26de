"""Checks a message Bundle must pass before anything is stored.

`fhir.resources` checks datatypes and cardinalities; it does not check required bindings,
entry order, or that references resolve, and an unknown resourceType raises a bare KeyError.
Everything here turns such failures into Issues that name the element and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from overgang.domain import limits
from overgang.domain.issues import Issue, medcom_issue
from overgang.fhir.bundle import BundleIndex
from overgang.fhir.model_classes import cache_model_class_lookup
from overgang.fhir.xml import element_specs

MAX_REPORTED_ERRORS = 20

cache_model_class_lookup()


def bundle_shape_issues(document: dict[str, Any]) -> list[Issue]:
    """A Bundle's `entry` must be a list of at most MAX_BUNDLE_ENTRIES objects, each with a
    `resource` object or a request/response (FHIR bdl-5).

    Checked before anything indexes the entries, which assumes that much.
    """
    if document.get("resourceType") != "Bundle" or "entry" not in document:
        return []
    entries = document["entry"]
    if not isinstance(entries, list):
        return [medcom_issue("structure", "Bundle.entry must be a list", expression="Bundle.entry")]
    if len(entries) > limits.MAX_BUNDLE_ENTRIES:
        return [
            medcom_issue(
                "too-costly",
                f"the Bundle has more than {limits.MAX_BUNDLE_ENTRIES} entries",
                expression="Bundle.entry",
            )
        ]
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
        elif not entry.keys() & {"resource", "request", "response"}:
            issues.append(
                medcom_issue(
                    "structure",
                    "an entry must have a resource, a request or a response (bdl-5)",
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
    """Datatype and cardinality checks of the R4 Bundle model, then the limits it leaves out."""
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
    return primitive_issues(document)


# FHIR's limits on primitive values that fhir.resources leaves unchecked (it checks the patterns
# of id and code, and integer ranges, but not an id's length, a code's single spaces, whitespace
# in a uri, or the year of a date).
_PRIMITIVE_CHECKS: dict[str, Callable[[str], str | None]] = {
    "id": limits.id_problem,
    "code": limits.code_problem,
    **dict.fromkeys(("uri", "url", "canonical", "oid", "uuid"), limits.uri_problem),
    **dict.fromkeys(
        ("dateTime", "instant"), lambda value: _year_problem(value, limits.EARLIEST_YEAR)
    ),
    "date": lambda value: _year_problem(value, limits.EARLIEST_DATE_YEAR),
}


def _year_problem(value: str, earliest: int) -> str | None:
    # fhir.resources has checked the form: every date, dateTime and instant starts with YYYY.
    return limits.year_problem(int(value[:4]), earliest=earliest) if value[:4].isdigit() else None


def primitive_issues(document: dict[str, Any]) -> list[Issue]:
    """Every id, code, uri, date and identifier of a Bundle fhir.resources accepted, against
    FHIR's limits and Overgang's (overgang.domain.limits)."""
    issues: list[Issue] = []
    _check_element(document, Bundle, (), issues)
    return issues[:MAX_REPORTED_ERRORS]


Location = tuple[str | int, ...]


def _check_element(
    node: dict[str, Any], model: type[Any], location: Location, issues: list[Issue]
) -> None:
    # Runs over every element of every message: a path is put into words only for an issue.
    specs = element_specs(model)
    for name, value in node.items():
        spec = specs.get(name)
        if spec is None:
            continue  # resourceType, or a primitive's `_name` extensions
        listed = spec.is_list and isinstance(value, list)
        for position, item in enumerate(value) if listed else ((None, value),):
            if spec.primitive is not None:
                check = _PRIMITIVE_CHECKS.get(spec.primitive)
                problem = check(item) if check and isinstance(item, str) else None
                if problem:
                    where = fhirpath(_at(location, name, position))
                    issues.append(medcom_issue("value", problem, expression=where))
            elif isinstance(item, dict) and spec.model is not None:
                item_model = spec.model
                item_location = _at(location, name, position)
                if item_model is Resource:  # an entry's or a contained resource
                    item_model = get_fhir_model_class(item["resourceType"])
                elif item_model is Identifier:
                    _check_identifier(item, item_location, issues)
                _check_element(item, item_model, item_location, issues)


def _at(location: Location, name: str, position: int | None) -> Location:
    return (*location, name) if position is None else (*location, name, position)


def _check_identifier(identifier: dict[str, Any], location: Location, issues: list[Issue]) -> None:
    for name, check in (
        ("system", limits.identifier_system_problem),
        ("value", limits.identifier_value_problem),
    ):
        value = identifier.get(name)
        problem = check(value) if isinstance(value, str) else None
        if problem:
            where = fhirpath((*location, name))
            issues.append(medcom_issue("value", problem, expression=where))


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
        for location, reference in _references(resource, ("entry", position, "resource")):
            if reference.startswith("#"):
                continue
            if index.resolve(reference) is None:
                issues.append(
                    medcom_issue(
                        "structure",
                        "the reference does not resolve to an entry",
                        expression=fhirpath((*location, "reference")),
                    )
                )
    return issues


def _references(node: Any, location: Location) -> Iterator[tuple[Location, str]]:
    # Every message is walked: a location is put into words only for an issue.
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str):
            yield location, reference
        for key, value in node.items():
            if key not in ("reference", "contained") and isinstance(value, (dict, list)):
                yield from _references(value, (*location, key))
    elif isinstance(node, list):
        for position, item in enumerate(node):
            if isinstance(item, (dict, list)):
                yield from _references(item, (*location, position))
