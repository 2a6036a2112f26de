"""One readable line per inbox message, read from the FHIR message Bundle itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from overgang.domain.issues import CHECKLIST_ITEM_SYSTEM

# MedCom's activity codes (brief §4) back to the notification they stand for.
NOTIFICATION = {
    "admit-inpatient": "STIN",
    "admit-emergency": "STAA",
    "start-leave-inpatient": "STOR",
    "end-leave-inpatient": "SLOR",
    "discharge-inpatient-home": "SLHJ",
    "discharge-emergency-home": "SLHJ",
}


@dataclass(frozen=True)
class Summary:
    code: str | None  # STIN, RE_SLHJ, ... for a hospital notification
    episode: str | None
    cpr: str | None
    missing: tuple[str, ...]  # checklist items a plan or handover leaves unmet


def summarise(body: bytes) -> Summary:
    """What a case worker needs to see first: which notice, which episode, whose, and gaps."""
    bundle: dict[str, Any] = orjson.loads(body)
    resources = [entry.get("resource", {}) for entry in bundle.get("entry", [])]
    header = resources[0] if resources else {}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource.get("resourceType", ""), []).append(resource)
    patient = (by_type.get("Patient") or [{}])[0]
    cpr = next((i.get("value") for i in patient.get("identifier", [])), None)
    encounter = (by_type.get("Encounter") or [{}])[0]
    episodes = [e.get("identifier", {}).get("value") for e in encounter.get("episodeOfCare", [])]
    missing = tuple(
        coding["code"]
        for outcome in by_type.get("OperationOutcome", [])
        for issue in outcome.get("issue", [])
        for coding in issue.get("details", {}).get("coding", [])
        if coding.get("system") == CHECKLIST_ITEM_SYSTEM
    )
    code = None
    if header.get("eventCoding", {}).get("code") == "hospital-notification-message":
        target = f"MessageHeader/{header.get('id')}"
        own = next(
            (
                p
                for p in by_type.get("Provenance", [])
                if any(t.get("reference") == target for t in p.get("target", []))
            ),
            {},
        )
        codings = own.get("activity", {}).get("coding", [{}])
        code = _notification(codings[0].get("code", ""), bool(patient.get("deceasedBoolean")))
    return Summary(code=code, episode=episodes[0] if episodes else None, cpr=cpr, missing=missing)


def _notification(activity: str, deceased: bool) -> str:
    for prefix, marker in (("revise-", "RE_"), ("cancel-", "AN_")):
        if activity.startswith(prefix):
            base = "MORS" if deceased and marker == "RE_" else _base(activity[len(prefix) :])
            return marker + base
    return "MORS" if deceased else _base(activity)


def _base(activity: str) -> str:
    return NOTIFICATION.get(activity, activity or "?")


def line(*, sequence: int, kind: str, via: str, summary: Summary, show_cpr: bool) -> str:
    """`    12 hospital-notification STIN     episode 3f2a0c1e-8b7d  (webhook)`; the CPR number
    only when asked for (it is personal data on a screen others may see)."""
    episode = (summary.episode or "-")[:13]
    cpr = f"  CPR {summary.cpr}" if show_cpr and summary.cpr else ""
    gaps = ""
    if kind != "hospital-notification":
        gaps = f"  missing: {', '.join(summary.missing)}" if summary.missing else "  complete"
    return f"{sequence:>6} {kind:<21} {summary.code or '':<8} episode {episode:<13}{cpr}  ({via}){gaps}"
