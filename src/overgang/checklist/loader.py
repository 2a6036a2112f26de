"""Reading checklist files: validated against `schemas/checklist.schema.json`, refused with a message
that names the file, the item and the problem.

A directory holds one file per checklist version (YAML or JSON). The highest version of each id is
the active one; older versions stay retrievable by (id, version) so that a stored result can be
shown with the checklist that judged it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from overgang.checklist.calendar import WorkCalendar
from overgang.checklist.definition import (
    ChecklistDefinition,
    ChecklistItem,
    Condition,
    Parameters,
)
from overgang.domain.content import PATHWAYS

SUFFIXES = (".yaml", ".yml", ".json")
# libyaml's loader when PyYAML has it (about 8x faster, every app start reads the checklists),
# with the same safe subset of YAML as the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ChecklistFileError(ValueError):
    """A checklist file (or directory) that cannot be used; `problems` name file, item and fault."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = Path(path)
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _project_file(*parts: str) -> Path:
    # The schemas/ folder sits beside src/ in a checkout; fall back to the working directory.
    candidates = [Path(__file__).resolve().parents[3].joinpath(*parts), Path.cwd().joinpath(*parts)]
    return next((c for c in candidates if c.exists()), candidates[0])


def schema_path() -> Path:
    return _project_file("schemas", "checklist.schema.json")


def default_checklist_dir() -> Path:
    """The directory of the default checklists (`schemas/checklists/`)."""
    return _project_file("schemas", "checklists")


@lru_cache(maxsize=4)
def _validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def read_checklist_file(path: Path | str) -> ChecklistDefinition:
    """One checklist file, validated; raises ChecklistFileError."""
    path = Path(path)
    data = _read(path)
    problems = _problems(data, path.name)
    if problems:
        raise ChecklistFileError(path, problems)
    return _build(data, path)


def check_file(path: Path | str) -> list[str]:
    """The problems of one checklist file; an empty list when it is valid."""
    try:
        read_checklist_file(path)
    except ChecklistFileError as error:
        return list(error.problems)
    return []


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ChecklistFileError(path, [f"{path.name}: cannot be read: {error}"]) from error
    try:
        data = json.loads(text) if path.suffix == ".json" else _yaml(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ChecklistFileError(path, [f"{path.name}: not valid YAML/JSON: {error}"]) from error
    return _dates_as_text(data)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def _dates_as_text(value: Any) -> Any:
    # YAML reads an unquoted 2026-12-24 as a date; the schema wants the text the author meant.
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


def _problems(data: Any, name: str) -> list[str]:
    errors = sorted(_validator(schema_path()).iter_errors(data), key=_path_order)
    problems = [f"{name}: {_where(error, data)}{error.message}" for error in errors]
    items = data.get("items") if isinstance(data, dict) else None
    seen: dict[str, int] = {}
    for index, item in enumerate(items if isinstance(items, list) else []):
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, str) and item_id in seen:
            problems.append(
                f"{name}: item '{item_id}' (items[{index}]): duplicate id, "
                f"also items[{seen[item_id]}]"
            )
        elif isinstance(item_id, str):
            seen[item_id] = index
    calendar = data.get("calendar") if isinstance(data, dict) else None
    if not problems and isinstance(calendar, dict):
        try:
            WorkCalendar(tuple(calendar.get("extra_closed_days") or ()))
        except ValueError as error:
            problems.append(f"{name}: calendar.extra_closed_days: {error}")
    return problems


def _path_order(error: ValidationError) -> list[tuple[bool, Any]]:
    # items[2] before items[10]: indexes sort as numbers, names as text.
    return [(isinstance(part, str), part) for part in error.absolute_path]


def _where(error: ValidationError, data: Any) -> str:
    """'item <id> (items[i]): field: ' for a fault inside an item, 'field: ' otherwise."""
    path = list(error.absolute_path)
    prefix = ""
    if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
        item = data["items"][path[1]]
        item_id = item.get("id") if isinstance(item, dict) else None
        label = (
            f"'{item_id}' (items[{path[1]}])" if isinstance(item_id, str) else f"items[{path[1]}]"
        )
        prefix, path = f"item {label}: ", path[2:]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f"{prefix}{field}: " if field else prefix


def _build(data: Mapping[str, Any], path: Path) -> ChecklistDefinition:
    calendar = data.get("calendar") or {}
    return ChecklistDefinition(
        id=data["id"],
        version=str(data["version"]),
        pathway=data["pathway"],
        title_da=data["title_da"],
        title_en=data["title_en"],
        calendar=WorkCalendar(tuple(calendar.get("extra_closed_days") or ())),
        items=tuple(_item(item) for item in data["items"]),
        source=str(path),
    )


def _item(data: Mapping[str, Any]) -> ChecklistItem:
    return ChecklistItem(
        id=data["id"],
        title_da=data["title_da"],
        title_en=data["title_en"],
        severity=data["severity"],
        applies_when=tuple(
            Condition(
                kind=c["kind"], parameters=Parameters({k: v for k, v in c.items() if k != "kind"})
            )
            for c in data["applies_when"]
        ),
        rule=data["rule"],
        parameters=Parameters(data.get("parameters")),
        explanation=data["explanation"],
    )


class ChecklistCatalog:
    """Every checklist version of a directory; the highest version of each id is active."""

    def __init__(self, definitions: Iterable[ChecklistDefinition]) -> None:
        self.definitions = tuple(sorted(definitions, key=lambda d: (d.id, d.version_key)))
        self._by_key = {(d.id, d.version): d for d in self.definitions}
        # Sorted by version, so the last one written per id is the highest.
        self._active = {d.id: d for d in self.definitions}

    def active(self) -> tuple[ChecklistDefinition, ...]:
        return tuple(self._active.values())

    def for_pathway(self, pathway: str) -> ChecklistDefinition:
        """The active checklist that judges episodes of `pathway` (adult or child-youth)."""
        for definition in self._active.values():
            if definition.pathway == pathway:
                return definition
        raise KeyError(f"no active checklist for pathway {pathway}")

    def get(self, checklist_id: str, version: str) -> ChecklistDefinition:
        """One version, active or not: the one that judged a stored result."""
        return self._by_key[(checklist_id, str(version))]

    def versions(self, checklist_id: str) -> tuple[str, ...]:
        return tuple(d.version for d in self.definitions if d.id == checklist_id)


def load_checklists(
    directory: Path | str, *, require_pathways: Iterable[str] = PATHWAYS
) -> ChecklistCatalog:
    """Every checklist file of `directory`, validated; raises ChecklistFileError listing all faults."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ChecklistFileError(directory, [f"{directory}: not a directory"])
    files = sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())
    definitions: list[ChecklistDefinition] = []
    problems: list[str] = []
    for path in files:
        try:
            definitions.append(read_checklist_file(path))
        except ChecklistFileError as error:
            problems.extend(error.problems)
    problems.extend(_conflicts(definitions, directory, require_pathways))
    if problems:
        raise ChecklistFileError(files[0] if len(files) == 1 else directory, problems)
    return ChecklistCatalog(definitions)


def _conflicts(
    definitions: list[ChecklistDefinition], directory: Path, require_pathways: Iterable[str]
) -> list[str]:
    required = frozenset(require_pathways)
    problems: list[str] = []
    seen: dict[tuple[str, str], ChecklistDefinition] = {}
    for definition in definitions:
        key = (definition.id, definition.version)
        if key in seen:
            problems.append(
                f"{Path(definition.source or '').name}: checklist {key[0]} version {key[1]} "
                f"is also in {Path(seen[key].source or '').name}"
            )
        seen[key] = definition
    active = ChecklistCatalog(definitions).active()
    for pathway in sorted(required | {d.pathway for d in active}):
        ids = sorted(d.id for d in active if d.pathway == pathway)
        if len(ids) > 1:
            problems.append(f"{directory}: several active checklists for {pathway}: {ids}")
        elif not ids:
            problems.append(f"{directory}: no checklist for pathway {pathway}")
    return problems
