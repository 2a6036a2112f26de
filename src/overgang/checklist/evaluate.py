"""Judging an episode against a checklist, and the result in the shape of profile §4."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from overgang.checklist.applicability import applies
from overgang.checklist.definition import SEVERITIES, ChecklistDefinition, ChecklistItem, Severity
from overgang.checklist.rules import RULES
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
    items = tuple(_evaluate_item(item, definition, snapshot) for item in definition.items)
    complete = not any(i.status == "missing" and i.severity == "required" for i in items)
    return ChecklistResult(
        id=definition.id, version=definition.version, complete=complete, items=items
    )


def _evaluate_item(
    item: ChecklistItem, definition: ChecklistDefinition, snapshot: EpisodeSnapshot
) -> ItemResult:
    if not applies(item, snapshot):
        return ItemResult(
            id=item.id, severity=item.severity, status="not-applicable", title_da=item.title_da
        )
    verdict = RULES[item.rule](snapshot, item.parameters, definition.calendar)
    if verdict.met:
        return ItemResult(id=item.id, severity=item.severity, status="met", title_da=item.title_da)
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
