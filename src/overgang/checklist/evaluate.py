"""Judging an episode against a checklist, and the result in the shape of profile §4."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from overgang.checklist.applicability import CONDITIONS, Check
from overgang.checklist.calendar import WorkCalendar
from overgang.checklist.definition import (
    SEVERITIES,
    ChecklistDefinition,
    ChecklistItem,
    Parameters,
    Severity,
)
from overgang.checklist.rules import RULES, Rule
from overgang.domain.snapshot import EpisodeSnapshot

Status = Literal["met", "missing", "not-applicable"]
STATUSES: tuple[Status, ...] = ("met", "missing", "not-applicable")
_Code = TypeVar("_Code", bound=str)


@dataclass(frozen=True, kw_only=True)
class ItemResult:
    id: str
    severity: Severity
    status: Status
    title_da: str | None = None  # not part of the stored form; known when freshly evaluated
    explanation: str | None = None  # Danish, for a missing item only

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "severity": self.severity, "status": self.status}
        if self.status == "missing" and self.explanation:
            data["explanation"] = self.explanation
        return data


@dataclass(frozen=True, kw_only=True)
class ChecklistResult:
    """Which checklist version judged the episode, and each item's status."""

    id: str
    version: str
    complete: bool  # no required item is missing
    items: tuple[ItemResult, ...]

    @property
    def missing(self) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.items if item.status == "missing")

    def to_json(self) -> dict[str, Any]:
        """Exactly profile §4: {"id", "version", "complete", "items": [...]}."""
        return {
            "id": self.id,
            "version": self.version,
            "complete": self.complete,
            "items": [item.to_json() for item in self.items],
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, definition: ChecklistDefinition | None = None
    ) -> ChecklistResult:
        """A stored result; with the definition that judged it, the Danish titles come back."""
        titles = {item.id: item.title_da for item in definition.items} if definition else {}
        items = tuple(
            ItemResult(
                id=item["id"],
                severity=_one_of(item["severity"], SEVERITIES, "severity"),
                status=_one_of(item["status"], STATUSES, "status"),
                title_da=titles.get(item["id"]),
                explanation=item.get("explanation"),
            )
            for item in data["items"]
        )
        return cls(
            id=data["id"], version=str(data["version"]), complete=data["complete"], items=items
        )


def evaluate_checklist(
    definition: ChecklistDefinition, snapshot: EpisodeSnapshot
) -> ChecklistResult:
    """Judge the episode's state against every item of one checklist version."""
    calendar = definition.calendar
    items = tuple(_evaluate_item(compiled, snapshot, calendar) for compiled in _table(definition))
    complete = not any(i.status == "missing" and i.severity == "required" for i in items)
    return ChecklistResult(
        id=definition.id, version=definition.version, complete=complete, items=items
    )


@dataclass(frozen=True)
class _CompiledItem:
    """An item with its functions looked up and its fixed results made, once per version."""

    item: ChecklistItem
    conditions: tuple[tuple[Check, Parameters], ...]
    rule: Rule
    not_applicable: ItemResult
    met: ItemResult


# Keyed by id(): a definition's own hash walks every item's parameters. The value holds the
# definition, so the id cannot be reused while its entry is here.
_TABLES: dict[int, tuple[ChecklistDefinition, tuple[_CompiledItem, ...]]] = {}
_MOST_TABLES = 64


def _table(definition: ChecklistDefinition) -> tuple[_CompiledItem, ...]:
    entry = _TABLES.get(id(definition))
    if entry is not None and entry[0] is definition:
        return entry[1]
    table = tuple(_compile(item) for item in definition.items)
    if len(_TABLES) >= _MOST_TABLES:
        _TABLES.clear()  # only tests load this many catalogues
    _TABLES[id(definition)] = (definition, table)
    return table


def _compile(item: ChecklistItem) -> _CompiledItem:
    def result(status: Status) -> ItemResult:
        return ItemResult(id=item.id, severity=item.severity, status=status, title_da=item.title_da)

    return _CompiledItem(
        item=item,
        conditions=tuple((CONDITIONS[c.kind], c.parameters) for c in item.applies_when),
        rule=RULES[item.rule],
        not_applicable=result("not-applicable"),
        met=result("met"),
    )


def _evaluate_item(
    compiled: _CompiledItem, snapshot: EpisodeSnapshot, calendar: WorkCalendar
) -> ItemResult:
    # An item applies when any of its conditions holds.
    if not any(check(snapshot, params) for check, params in compiled.conditions):
        return compiled.not_applicable
    item = compiled.item
    verdict = compiled.rule(snapshot, item.parameters, calendar)
    if verdict.met:
        return compiled.met
    # What was found first, then what would satisfy the item.
    explanation = f"{verdict.reason} {item.explanation}" if verdict.reason else item.explanation
    return ItemResult(
        id=item.id,
        severity=item.severity,
        status="missing",
        title_da=item.title_da,
        explanation=explanation,
    )


def _one_of(value: Any, allowed: tuple[_Code, ...], name: str) -> _Code:
    for candidate in allowed:
        if value == candidate:
            return candidate
    raise ValueError(f"stored checklist result has an unknown {name}: {value!r}")
