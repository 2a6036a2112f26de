"""A checklist file, read: the items, when each applies, and the rule and parameters that decide it.

The file's shape is fixed by `schemas/checklist.schema.json`; the loader validates a file against
it before building these, so the accessors below can trust the types they read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from overgang.checklist.calendar import WorkCalendar
from overgang.domain.content import Pathway

Severity = Literal["required", "recommended"]
SEVERITIES: tuple[Severity, ...] = ("required", "recommended")


class Parameters(Mapping[str, Any]):
    """An item's rule parameters (or a condition's), with typed reads for the rule functions."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = dict(values or {})
        self._sets: dict[str, frozenset[str]] = {}  # texts() read once: the rules ask per message

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        # Hashable so that a definition can key a cache; the values are plain JSON.
        return hash(json.dumps(self._values, sort_keys=True))

    def __repr__(self) -> str:
        return f"Parameters({self._values!r})"

    def integer(self, key: str) -> int:
        value = self._values[key]
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"parameter {key} must be an integer")
        return value

    def text(self, key: str) -> str:
        value = self._values[key]
        if not isinstance(value, str):
            raise TypeError(f"parameter {key} must be a string")
        return value

    def texts(self, key: str) -> frozenset[str]:
        """A list of codes; an absent key is the empty set."""
        found = self._sets.get(key)
        if found is None:
            value = self._values.get(key, ())
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"parameter {key} must be a list of strings")
            found = self._sets[key] = frozenset(value)
        return found

    def to_json(self) -> dict[str, Any]:
        return dict(self._values)


@dataclass(frozen=True, kw_only=True)
class Condition:
    """One reason an item applies; an item applies when any of its conditions holds."""

    kind: str
    parameters: Parameters = field(default_factory=Parameters)


@dataclass(frozen=True, kw_only=True)
class ChecklistItem:
    id: str
    title_da: str
    title_en: str
    severity: Severity
    applies_when: tuple[Condition, ...]
    rule: str
    parameters: Parameters
    explanation: str  # Danish: what would satisfy the item, shown to the ward when it is missing


@dataclass(frozen=True, kw_only=True)
class ChecklistDefinition:
    """One version of one checklist, as a region and its municipalities agreed it."""

    id: str
    version: str
    pathway: Pathway
    title_da: str
    title_en: str
    calendar: WorkCalendar
    items: tuple[ChecklistItem, ...]
    source: str | None = None  # the file it was read from, for messages

    @property
    def version_key(self) -> tuple[int, ...]:
        """The version for ordering: "1.10" is newer than "1.9"."""
        return version_key(self.version)

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
