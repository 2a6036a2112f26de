"""When an item applies: the condition kinds a checklist file can name in `applies_when`.

An item applies when any of its conditions holds (`evaluate.py` asks them). Each condition is a
pure function of the snapshot and its own parameters, like the rules.
"""

from __future__ import annotations

from collections.abc import Callable

from overgang.checklist.definition import Parameters
from overgang.domain.snapshot import EpisodeSnapshot

Check = Callable[[EpisodeSnapshot, Parameters], bool]


def always(_: EpisodeSnapshot, __: Parameters) -> bool:
    return True


def municipal_support(snapshot: EpisodeSnapshot, params: Parameters) -> bool:
    """Any of the listed support codes; without a list, any municipal support code at all."""
    codes = params.texts("codes")
    support = snapshot.content.municipal_support
    return any(code in codes for code in support) if codes else bool(support)


def coercion_used(snapshot: EpisodeSnapshot, _: Parameters) -> bool:
    return snapshot.content.coercion_used is True


def plan_exists(snapshot: EpisodeSnapshot, _: Parameters) -> bool:
    return bool(snapshot.content.plans)


def dual_diagnosis(snapshot: EpisodeSnapshot, params: Parameters) -> bool:
    """A substance-use diagnosis together with another diagnosis of the same chapter."""
    chapter = params.text("chapter")
    low, high = params.text("substance_from"), params.text("substance_to")
    codes = [d.sks_code.upper() for d in snapshot.content.diagnoses if d.sks_code]
    in_chapter = [code for code in codes if code.startswith(chapter)]
    # SKS codes refine by appending characters (DF10 -> DF100): compare the range's length.
    substance = [code for code in in_chapter if low <= code[: len(low)] <= high]
    return bool(substance) and len(substance) < len(in_chapter)


CONDITIONS: dict[str, Check] = {
    "always": always,
    "municipal-support": municipal_support,
    "coercion-used": coercion_used,
    "plan-exists": plan_exists,
    "dual-diagnosis": dual_diagnosis,
}
