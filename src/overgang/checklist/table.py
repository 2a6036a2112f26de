"""The active items of a checklist as a plain-text table, for `overgang checklist show`."""

from __future__ import annotations

from overgang.checklist.definition import ChecklistDefinition, Condition

HEADER = ("id", "severity", "applies when", "title (da)")


def format_table(definition: ChecklistDefinition) -> str:
    """One line per item: id, severity, when it applies and the Danish title, in aligned columns."""
    rows = [HEADER] + [
        (
            item.id,
            item.severity,
            " or ".join(describe(condition) for condition in item.applies_when),
            item.title_da,
        )
        for item in definition.items
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER) - 1)]
    lines = [
        f"{definition.id} version {definition.version} ({definition.pathway}): "
        f"{definition.title_da}",
        "",
    ]
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in [*widths, len(row[-1])]))
    return "\n".join(lines) + "\n"


def describe(condition: Condition) -> str:
    """The condition in a few words, for `overgang checklist show`."""
    if condition.kind == "municipal-support":
        codes = sorted(condition.parameters.texts("codes"))
        return f"municipal support {' or '.join(codes)}" if codes else "any municipal support"
    if condition.kind == "dual-diagnosis":
        p = condition.parameters
        return (
            f"{p.text('substance_from')}-{p.text('substance_to')} with another "
            f"{p.text('chapter')} diagnosis"
        )
    return condition.kind.replace("-", " ")
