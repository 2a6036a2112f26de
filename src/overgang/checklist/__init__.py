"""The agreed transition checklist: files of data, pure rules over an episode snapshot.

definition.py     the dataclasses a checklist file is read into
loader.py         reading and validating files, the catalogue of versions, choice by pathway
calendar.py       Danish working days and public holidays, Europe/Copenhagen
applicability.py  when an item applies (`applies_when` condition kinds)
rules.py          one pure function per rule kind
evaluate.py       `evaluate_checklist` and the result in profile §4's shape
table.py          a plain-text table of the items, for the CLI
"""

from overgang.checklist.calendar import COPENHAGEN, WorkCalendar
from overgang.checklist.definition import (
    ChecklistDefinition,
    ChecklistItem,
    Condition,
    Parameters,
    Severity,
)
from overgang.checklist.evaluate import ChecklistResult, ItemResult, Status, evaluate_checklist
from overgang.checklist.loader import (
    ChecklistCatalog,
    ChecklistFileError,
    check_file,
    default_checklist_dir,
    load_checklists,
    read_checklist_file,
    schema_path,
)
from overgang.checklist.table import format_table

__all__ = [
    "COPENHAGEN",
    "ChecklistCatalog",
    "ChecklistDefinition",
    "ChecklistFileError",
    "ChecklistItem",
    "ChecklistResult",
    "Condition",
    "ItemResult",
    "Parameters",
    "Severity",
    "Status",
    "WorkCalendar",
    "check_file",
    "default_checklist_dir",
    "evaluate_checklist",
    "format_table",
    "load_checklists",
    "read_checklist_file",
    "schema_path",
]
