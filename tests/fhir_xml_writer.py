"""Test helper: the FHIR R4 XML form of a FHIR JSON resource, pretty-printed in element order.

Written independently of `overgang.fhir.xml` so a round trip tests the reader against the
JSON itself: lists, primitive types and `_name` siblings are read from the JSON value, and the
models are used only for the element order the FHIR XML schema expects.
"""

from __future__ import annotations

import types
import typing
from itertools import zip_longest
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.extension import Extension

FHIR_NS = "http://hl7.org/fhir"
_INDENT = "  "


def fhir_json_to_xml(resource: dict[str, Any]) -> bytes:
    """The FHIR XML document for one resource in its JSON form."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    _write_resource(resource, lines, depth=0, is_root=True)
    return ("\n".join(lines) + "\n").encode()


def _write_resource(
    resource: dict[str, Any], lines: list[str], *, depth: int, is_root: bool
) -> None:
    resource_type = resource["resourceType"]
    namespace = f' xmlns="{FHIR_NS}"' if is_root else ""
    lines.append(f"{_INDENT * depth}<{resource_type}{namespace}>")
    _write_members(resource, get_fhir_model_class(resource_type), lines, depth=depth + 1)
    lines.append(f"{_INDENT * depth}</{resource_type}>")


def _write_members(obj: dict[str, Any], model: type[Any], lines: list[str], *, depth: int) -> None:
    order = model.elements_sequence()
    names = {key.removeprefix("_") for key in obj} - {"resourceType"}
    if "resourceType" not in obj:
        names.discard("id")  # a datatype's id is an attribute
    if issubclass(model, Extension):
        names.discard("url")
    for name in sorted(names, key=order.index):
        values, extras = obj.get(name), obj.get(f"_{name}")
        if isinstance(values, list) or isinstance(extras, list):
            pairs = list(zip_longest(values or [], extras or []))
        else:
            pairs = [(values, extras)]
        for value, extra in pairs:
            _write_element(name, value, extra, model, lines, depth=depth)


def _write_element(
    name: str, value: Any, extra: Any, parent: type[Any], lines: list[str], *, depth: int
) -> None:
    pad = _INDENT * depth
    if name == "div":
        lines.append(pad + value)  # the narrative is XHTML already
    elif isinstance(value, dict) and "resourceType" in value:
        lines.append(f"{pad}<{name}>")
        _write_resource(value, lines, depth=depth + 1, is_root=False)
        lines.append(f"{pad}</{name}>")
    elif isinstance(value, dict):
        model = _child_model(parent, name)
        attributes = _attributes(value, with_url=issubclass(model, Extension))
        lines.append(f"{pad}<{name}{attributes}>")
        _write_members(value, model, lines, depth=depth + 1)
        lines.append(f"{pad}</{name}>")
    else:
        attributes = _attributes(extra or {}, with_url=False)
        if value is not None:
            attributes += f' value="{_escape(_lexical(value))}"'
        extensions = (extra or {}).get("extension", [])
        if not extensions:
            lines.append(f"{pad}<{name}{attributes}/>")
            return
        lines.append(f"{pad}<{name}{attributes}>")
        for extension in extensions:
            _write_element("extension", extension, None, Extension, lines, depth=depth + 1)
        lines.append(f"{pad}</{name}>")


def _attributes(obj: dict[str, Any], *, with_url: bool) -> str:
    keys = ["id", "url"] if with_url else ["id"]
    return "".join(f' {key}="{_escape(obj[key])}"' for key in keys if key in obj)


def _child_model(parent: type[Any], name: str) -> type[Any]:
    annotation = parent.model_fields[parent.get_alias_mapping()[name]].annotation
    while not hasattr(annotation, "get_model_klass"):
        origin = typing.get_origin(annotation)
        if origin not in (typing.Union, types.UnionType, list):
            raise TypeError(f"{parent.__name__}.{name} is not a complex type")
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    model: type[Any] = annotation.get_model_klass()
    return model


def _lexical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str | int) else repr(value)


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
