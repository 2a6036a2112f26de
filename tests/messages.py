"""Loading the FHIR fixtures and making variants of them (fresh ids, other times)."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = FIXTURES / "examples"
MEDCOM = FIXTURES / "medcom"
EXAMPLE_STAY = [
    "01-admission-STIN.json",
    "02-discharge-plan.json",
    "04-discharge-SLHJ.json",
    "05-discharge-handover.json",
]
EXAMPLE_EPISODE = "9bf91057-1385-5d72-be8c-50435d0b272e"
TEST_CPR = "2509479989"

HOSPITAL_SOR, HOSPITAL_GLN = "1144561000016002", "5790001382445"
AALBORG_SOR, AALBORG_GLN = "953741000016009", "5790001348120"
MEDCOM_SENDER_SOR, MEDCOM_SENDER_GLN = "265161000016000", "5790000209354"


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def example(name: str) -> dict[str, Any]:
    return load(EXAMPLES / name)


def medcom_examples() -> list[Path]:
    return sorted(MEDCOM.glob("*.json"))


def header(bundle: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][0]["resource"]
    return resource


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def with_fresh_ids(bundle: dict[str, Any]) -> dict[str, Any]:
    """The same message sent anew: new Bundle.id and MessageHeader.id, its Provenance retargeted."""
    fresh = copy.deepcopy(bundle)
    old_header_id = header(fresh)["id"]
    new_header_id = str(uuid.uuid4())
    fresh["id"] = str(uuid.uuid4())
    header(fresh)["id"] = new_header_id
    for entry in fresh["entry"]:
        if entry["resource"]["resourceType"] == "MessageHeader":
            entry["fullUrl"] = entry["fullUrl"].replace(old_header_id, new_header_id)
        for target in entry["resource"].get("target", []):
            target["reference"] = target["reference"].replace(old_header_id, new_header_id)
    return fresh


def body(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle).encode()
