"""FHIR JSON in, FHIR R4 XML out: the inverse of `overgang.fhir.xml`, by the same rules.

Elements follow the order of the resource definitions (the `fhir.resources.R4B` models'
`elements_sequence`), primitives go in `value` attributes with their `_name` sibling's `id` and
extensions, an element's `id` and an extension's `url` are attributes, `Narrative.div` is copied
as the XHTML it is, and a contained resource is wrapped in an element named after its type.

Given bytes, numbers are written exactly as they were sent (2.50 stays 2.50): the JSON is read
with its decimals kept as text, never through the models (which drop the precision).
"""

from __future__ import annotations

import json
from itertools import zip_longest
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.extension import Extension

from overgang.fhir.xml import FHIR_NS, ElementSpec, element_specs

_ORDER_BY_MODEL: dict[type[Any], dict[str, int]] = {}


class _Decimal(str):
    """A JSON number with a fraction or exponent, kept as the text it was sent as."""

    __slots__ = ()


def fhir_json_to_xml(document: dict[str, Any] | bytes) -> bytes:
    """The FHIR XML form of one resource given as FHIR JSON (a dict, or the bytes as sent)."""
    resource = (
        json.loads(document, parse_float=_Decimal) if isinstance(document, bytes) else document
    )
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    _resource(resource, parts, is_root=True)
    return "".join(parts).encode()


def _resource(resource: dict[str, Any], parts: list[str], *, is_root: bool) -> None:
    name = resource["resourceType"]
    parts.append(f'<{name} xmlns="{FHIR_NS}">' if is_root else f"<{name}>")
    _members(resource, get_fhir_model_class(name), parts)
    parts.append(f"</{name}>")


def _order(model: type[Any]) -> dict[str, int]:
    if (known := _ORDER_BY_MODEL.get(model)) is None:
        known = {name: index for index, name in enumerate(model.elements_sequence())}
        _ORDER_BY_MODEL[model] = known
    return known


def _members(obj: dict[str, Any], model: type[Any], parts: list[str]) -> None:
    specs = element_specs(model)  # without the names that are attributes (id, url)
    order = _order(model)
    names = {key.removeprefix("_") for key in obj} & specs.keys()
    for name in sorted(names, key=lambda n: order.get(n, len(order))):
        values, extras = obj.get(name), obj.get(f"_{name}")
        if isinstance(values, list) or isinstance(extras, list):
            pairs = list(zip_longest(values or [], extras or []))
        else:
            pairs = [(values, extras)]
        for value, extra in pairs:
            _element(name, value, extra, specs[name], parts)


def _element(name: str, value: Any, extra: Any, spec: ElementSpec, parts: list[str]) -> None:
    if spec.primitive == "xhtml":
        parts.append(value)  # the narrative is XHTML already, with its namespace
    elif spec.primitive is not None:
        _primitive(name, value, extra or {}, parts)
    elif isinstance(value, dict) and "resourceType" in value:
        parts.append(f"<{name}>")
        _resource(value, parts, is_root=False)
        parts.append(f"</{name}>")
    elif isinstance(value, dict):
        assert spec.model is not None
        attributes = _attribute("id", value)
        if issubclass(spec.model, Extension):
            attributes += _attribute("url", value)
        parts.append(f"<{name}{attributes}>")
        _members(value, spec.model, parts)
        parts.append(f"</{name}>")


def _primitive(name: str, value: Any, extra: dict[str, Any], parts: list[str]) -> None:
    attributes = _attribute("id", extra)
    if value is not None:
        attributes += f' value="{_escape(_lexical(value))}"'
    extensions = extra.get("extension") or []
    if not extensions:
        parts.append(f"<{name}{attributes}/>")
        return
    parts.append(f"<{name}{attributes}>")
    for extension in extensions:
        _element("extension", extension, None, ElementSpec(True, None, Extension), parts)
    parts.append(f"</{name}>")


def _attribute(key: str, obj: dict[str, Any]) -> str:
    return f' {key}="{_escape(str(obj[key]))}"' if key in obj else ""


def _lexical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _escape(text: str) -> str:
    for raw, escaped in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&quot;"),
        ("\n", "&#10;"),
        ("\r", "&#13;"),
        ("\t", "&#9;"),
    ):
        text = text.replace(raw, escaped)
    return text
