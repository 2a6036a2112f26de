"""The municipality's FHIR form of a message: the hospital's own message and, for a discharge
plan or handover, the checklist result beside it, so a case system reading only FHIR sees the
gaps too."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from overgang.domain.issues import CHECKLIST_ITEM_SYSTEM
from overgang.fhir.codes import OVERGANG_BASE

CHECKLIST_RESULT_EXTENSION = "https://fhir.overgang.dk/StructureDefinition/checklist-result"


def package_for_municipality(bundle_json: bytes, checklist: dict[str, Any] | None) -> bytes:
    """The body of the inbox message: the sender's exact JSON, or with a checklist result
    added, that JSON with one more entry."""
    return bundle_json if checklist is None else _with_checklist(bundle_json, checklist)


def _with_checklist(bundle_json: bytes, checklist: dict[str, Any]) -> bytes:
    """The message Bundle with one more entry: an OperationOutcome carrying the checklist
    result (profile §4) — an issue per unmet item, and id, version and completeness as an
    extension. Everything the hospital sent stays as it was."""
    bundle = orjson.loads(bundle_json)
    header_id = str(bundle["entry"][0]["resource"].get("id", ""))
    outcome_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{OVERGANG_BASE}/checklist/{header_id}"))
    missing = [item for item in checklist["items"] if item["status"] == "missing"]
    outcome = {
        "resourceType": "OperationOutcome",
        "id": outcome_id,
        "extension": [
            {
                "url": CHECKLIST_RESULT_EXTENSION,
                "extension": [
                    {"url": "checklist", "valueString": checklist["id"]},
                    {"url": "version", "valueString": checklist["version"]},
                    {"url": "complete", "valueBoolean": checklist["complete"]},
                ],
            }
        ],
        "issue": [
            {
                "severity": "error" if item["severity"] == "required" else "warning",
                "code": "business-rule",
                "details": {
                    "coding": [{"system": CHECKLIST_ITEM_SYSTEM, "code": item["id"]}],
                    **({"text": item["explanation"]} if item.get("explanation") else {}),
                },
            }
            for item in missing
        ]
        or [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": "checklist complete",
            }
        ],
    }
    bundle["entry"].append(
        {"fullUrl": f"{OVERGANG_BASE}/OperationOutcome/{outcome_id}", "resource": outcome}
    )
    return orjson.dumps(bundle)
