"""FHIR R4 XML in, the FHIR JSON form out, so the rest of Overgang sees one shape.

The rules are those of https://hl7.org/fhir/R4/xml.html and json.html: primitives travel in
`value` attributes, `id` and `extension` on a primitive go to the `_name` sibling, an element's
`id` and an extension's `url` are attributes, `Narrative.div` stays an XHTML string, and a
contained resource is an element named after its type. Which elements repeat and which
primitive types become JSON booleans and numbers comes from the `fhir.resources.R4B` models.

fhir.resources has `model_validate_xml`, but it needs lxml (not a dependency), expands internal
entities with lxml's default parser, raises a bare KeyError on an unknown element, and goes
through the models (a slower path that drops decimal precision). This module parses with
defusedxml instead and builds the JSON dict directly.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import orjson
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.resource import Resource
from fhir_core.constraints import FHIR_PRIMITIVES_MAPS

from overgang.domain import limits

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_DEPTH_CEILING = 256  # beyond this the recursive conversion would near Python's recursion limit

_INTEGER_TYPES = frozenset({"integer", "positiveInt", "unsignedInt"})
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SHOWABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
_XML_SPACE = " \t\r\n"


class XmlNotAccepted(ValueError):
    """The body is not a FHIR XML resource Overgang accepts.

    The message names elements and positions, never text or attribute values from the
    document: those may hold a CPR number or clinical text. `expression` is a FHIRPath-like
    location such as `Bundle.entry[2].resource.status`, or None for the document as a whole.
    """

    def __init__(self, message: str, *, expression: str | None = None) -> None:
        super().__init__(f"{expression}: {message}" if expression else message)
        self.expression = expression


def fhir_xml_to_json(body: bytes, *, max_depth: int = 64) -> dict[str, Any]:
    """Convert a FHIR R4 XML resource to its FHIR JSON form, the dict `orjson.loads` would give."""
    if not 1 <= max_depth <= _DEPTH_CEILING:
        raise ValueError(f"max_depth must be between 1 and {_DEPTH_CEILING}")
    root = _parse(body, max_depth)
    namespace, name = _split(root.tag)
    if namespace != FHIR_NS:
        raise XmlNotAccepted(f"the root element is not in the FHIR namespace {FHIR_NS}")
    return _resource(root, name, path=_shown(name))


class _TooDeep(Exception):
    pass


class _DepthLimitedTreeBuilder(TreeBuilder):
    """Stops the parse as soon as elements nest deeper than allowed, before the tree is built."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        self._depth += 1
        if self._depth > self._max_depth:
            raise _TooDeep
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> Element:
        self._depth -= 1
        return super().end(tag)


def _parse(body: bytes, max_depth: int) -> Element:
    parser = DefusedXMLParser(
        target=_DepthLimitedTreeBuilder(max_depth),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    # `from None` throughout: the defusedxml exceptions carry entity names and values.
    try:
        parser.feed(body)
        root: Element = parser.close()
    except _TooDeep:
        raise XmlNotAccepted(f"elements nest deeper than {max_depth} levels") from None
    except DTDForbidden:
        raise XmlNotAccepted("a document type declaration (DTD) is not allowed") from None
    except EntitiesForbidden:
        raise XmlNotAccepted("entity declarations are not allowed") from None
    except ExternalReferenceForbidden:
        raise XmlNotAccepted("external references are not allowed") from None
    except ParseError as exc:
        line, column = exc.position
        raise XmlNotAccepted(
            f"the body is not well-formed XML (line {line}, column {column})"
        ) from None
    return root


@dataclass(frozen=True, slots=True)
class ElementSpec:
    is_list: bool
    primitive: str | None  # the FHIR primitive type, or None for a complex type
    model: type[Any] | None  # the model of a complex type; Resource for "any resource"


_SPECS_BY_MODEL: dict[type[Any], dict[str, ElementSpec]] = {}


def element_specs(model: type[Any]) -> dict[str, ElementSpec]:
    """The child elements a model's XML form may hold, by their JSON (= XML) name."""
    if (known := _SPECS_BY_MODEL.get(model)) is not None:
        return known
    specs: dict[str, ElementSpec] = {}
    for field_name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("element_property"):
            specs[field.alias or field_name] = _describe(field.annotation)
    if not issubclass(model, Resource):
        specs.pop("id", None)  # a datatype's id is an attribute, a resource's an element
    if issubclass(model, Extension):
        specs.pop("url", None)
    _SPECS_BY_MODEL[model] = specs  # a few hundred models at most: the R4B classes
    return specs


def _describe(annotation: Any) -> ElementSpec:
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Union or origin is types.UnionType:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list:
            is_list = True
            (annotation,) = typing.get_args(annotation)
        else:
            break
    if typing.get_origin(annotation) is typing.Annotated:
        for marker in annotation.__metadata__:
            if type(marker) in FHIR_PRIMITIVES_MAPS:
                return ElementSpec(is_list, FHIR_PRIMITIVES_MAPS[type(marker)], None)
        annotation = typing.get_args(annotation)[0]
    if annotation in FHIR_PRIMITIVES_MAPS:  # plain bool, uuid.UUID
        return ElementSpec(is_list, FHIR_PRIMITIVES_MAPS[annotation], None)
    get_model = getattr(annotation, "get_model_klass", None)
    if get_model is None:
        raise TypeError(f"cannot tell the FHIR type of {annotation!r}")
    return ElementSpec(is_list, None, get_model())


def _resource_model(name: str, path: str) -> type[Any]:
    try:
        model: type[Any] = get_fhir_model_class(name)
    except (ValueError, KeyError):
        model = type(None)
    if not issubclass(model, Resource) or model in (Resource, DomainResource):
        raise XmlNotAccepted(f"{_shown(name)} is not a FHIR R4 resource type", expression=path)
    return model


def _resource(elem: Element, name: str, *, path: str) -> dict[str, Any]:
    model = _resource_model(name, path)
    if any(not key.startswith("{") for key in elem.attrib):
        raise XmlNotAccepted("a resource element carries no attributes", expression=path)
    out: dict[str, Any] = {"resourceType": name}
    _read_children(elem, model, out, path=path)
    return out


def _contained(elem: Element, *, path: str) -> dict[str, Any]:
    _no_text(elem.text, path)
    children = list(elem)
    if len(children) != 1 or any(not key.startswith("{") for key in elem.attrib):
        raise XmlNotAccepted("must hold exactly one resource element", expression=path)
    (child,) = children
    _no_text(child.tail, path)
    namespace, name = _split(child.tag)
    if namespace != FHIR_NS:
        raise XmlNotAccepted("the resource is not in the FHIR namespace", expression=path)
    return _resource(child, name, path=path)


def _complex(elem: Element, model: type[Any], *, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in elem.attrib.items():
        if key == "id" or (key == "url" and issubclass(model, Extension)):
            out[key] = _non_empty(raw, key, path)
        elif not key.startswith("{"):  # attributes of other namespaces (xsi:...) mean nothing here
            raise XmlNotAccepted(f"unexpected attribute {_shown(key)}", expression=path)
    _read_children(elem, model, out, path=path)
    if not out:
        raise XmlNotAccepted("the element is empty", expression=path)
    return out


def _read_children(elem: Element, model: type[Any], out: dict[str, Any], *, path: str) -> None:
    _no_text(elem.text, path)
    specs = element_specs(model)
    found: dict[str, list[tuple[Any, dict[str, Any] | None]]] = {}
    for child in elem:
        _no_text(child.tail, path)
        namespace, name = _split(child.tag)
        spec = specs.get(name)
        wanted_namespace = XHTML_NS if spec and spec.primitive == "xhtml" else FHIR_NS
        if spec is None:
            raise XmlNotAccepted(f"unexpected element {_shown(name)}", expression=path)
        if namespace != wanted_namespace:
            raise XmlNotAccepted(
                f"the element must be in the namespace {wanted_namespace}",
                expression=f"{path}.{name}",
            )
        items = found.setdefault(name, [])
        if items and not spec.is_list:
            raise XmlNotAccepted("may occur at most once", expression=f"{path}.{name}")
        child_path = f"{path}.{name}[{len(items)}]" if spec.is_list else f"{path}.{name}"
        if spec.primitive == "xhtml":
            items.append((_xhtml(child, path=child_path), None))
        elif spec.primitive is not None:
            items.append(_primitive(child, spec.primitive, path=child_path))
        elif spec.model is Resource:
            items.append((_contained(child, path=child_path), None))
        else:
            assert spec.model is not None
            items.append((_complex(child, spec.model, path=child_path), None))
    for name, items in found.items():
        is_list = specs[name].is_list
        values = [value for value, _ in items]
        extras = [extra for _, extra in items]
        if any(value is not None for value in values):
            out[name] = values if is_list else values[0]
        if any(extra is not None for extra in extras):
            out[f"_{name}"] = extras if is_list else extras[0]


def _primitive(elem: Element, fhir_type: str, *, path: str) -> tuple[Any, dict[str, Any] | None]:
    value: Any = None
    extra: dict[str, Any] = {}
    for key, raw in elem.attrib.items():
        if key == "value":
            value = _typed(_non_empty(raw, key, path), fhir_type, path)
        elif key == "id":
            extra["id"] = _non_empty(raw, key, path)
        elif not key.startswith("{"):
            raise XmlNotAccepted(f"unexpected attribute {_shown(key)}", expression=path)
    _no_text(elem.text, path)
    extensions: list[dict[str, Any]] = []
    for child in elem:
        _no_text(child.tail, path)
        if child.tag != f"{{{FHIR_NS}}}extension":
            raise XmlNotAccepted("a primitive holds only extension elements", expression=path)
        ext_path = f"{path}.extension[{len(extensions)}]"
        extensions.append(_complex(child, Extension, path=ext_path))
    if extensions:
        extra["extension"] = extensions
    if value is None and not extra:
        raise XmlNotAccepted("has neither a value nor extensions", expression=path)
    return value, extra or None


def _typed(raw: str, fhir_type: str, path: str) -> Any:
    """The JSON value of a primitive: booleans and numbers typed, everything else a string."""
    if fhir_type == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
    elif fhir_type in _INTEGER_TYPES:
        # The length check comes first: int() of thousands of digits is slow or refused.
        if len(raw) <= 11 and _INTEGER.fullmatch(raw) and limits.integer_problem(int(raw)) is None:
            return int(raw)
    elif fhir_type == "decimal":
        if _DECIMAL.fullmatch(raw):
            # Parsed as a JSON number, so the result equals what the JSON form would give.
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
    else:
        return raw
    raise XmlNotAccepted(f"the value is not a valid {fhir_type}", expression=path)


def _xhtml(elem: Element, *, path: str) -> str:
    if elem.tag != f"{{{XHTML_NS}}}div":
        raise XmlNotAccepted("the narrative must be an XHTML div", expression=path)
    parts: list[str] = []
    _write_xhtml(elem, parts, path=path, is_root=True)
    return "".join(parts)


def _write_xhtml(elem: Element, parts: list[str], *, path: str, is_root: bool) -> None:
    namespace, name = _split(elem.tag)
    if namespace != XHTML_NS:
        raise XmlNotAccepted("the narrative holds a non-XHTML element", expression=path)
    parts.append(f'<{name} xmlns="{XHTML_NS}"' if is_root else f"<{name}")
    for key, raw in elem.attrib.items():
        attr_namespace, local = _split(key)
        if attr_namespace not in ("", _XML_NS):
            raise XmlNotAccepted("the narrative holds a non-XHTML attribute", expression=path)
        shown_key = f"xml:{local}" if attr_namespace else local
        parts.append(f' {shown_key}="{_escape(raw, quote=True)}"')
    if elem.text is None and len(elem) == 0:
        parts.append("/>")
        return
    parts.append(">")
    if elem.text:
        parts.append(_escape(elem.text))
    for child in elem:
        _write_xhtml(child, parts, path=path, is_root=False)
        if child.tail:
            parts.append(_escape(child.tail))
    parts.append(f"</{name}>")


def _escape(text: str, *, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _no_text(text: str | None, path: str) -> None:
    if text and text.strip(_XML_SPACE):
        raise XmlNotAccepted(
            "holds text content; FHIR XML carries values in value attributes", expression=path
        )


def _non_empty(raw: str, key: str, path: str) -> str:
    if not raw:
        raise XmlNotAccepted(f"the {key} attribute is empty", expression=path)
    return raw


def _shown(name: str) -> str:
    """A name from the document, fit for an error message: a short identifier, few digits."""
    if _SHOWABLE_NAME.fullmatch(name) and sum(c.isdigit() for c in name) <= 2:
        return name
    return "(unprintable name)"
