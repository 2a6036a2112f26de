"""Realistic discharge messages for the benchmark: the example stay's admission (STIN), discharge
plan and handover, each stay with its own episode, citizen and message ids, its times moved to now.

Each kind is shaped once per run (times moved, then serialised); a message is that text with its
ids replaced, so that making thousands of them costs the load generator next to nothing.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

EXAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "examples"
# A stay's messages by kind, in the order the ward sends them.
STAY = {
    "STIN": "01-admission-STIN.json",
    "discharge-plan": "02-discharge-plan.json",
    "discharge-handover": "05-discharge-handover.json",
}
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ADMITTED_BEFORE = timedelta(days=16)
EXAMPLE_CPR = "2509479989"
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
_CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Message:
    kind: str
    header_id: str
    body: bytes


@dataclass(frozen=True)
class Template:
    """One example message as JSON text, its times moved; the ids below are replaced per message."""

    kind: str
    text: str
    bundle_id: str
    header_id: str
    provenance_id: str
    episode: str

    def message(self, *, episode: str, cpr: str) -> Message:
        header_id = str(uuid.uuid4())
        text = (
            self.text.replace(self.bundle_id, str(uuid.uuid4()))
            .replace(self.header_id, header_id)
            .replace(self.provenance_id, str(uuid.uuid4()))
            .replace(self.episode, episode)
            .replace(EXAMPLE_CPR, cpr)
        )
        return Message(kind=self.kind, header_id=header_id, body=text.encode())


def template(kind: str, *, now: datetime) -> Template:
    """The example message of `kind` sent at `now`: every time in it moves by the same amount, and
    the citizen was admitted `ADMITTED_BEFORE` ago (the same admission in each message)."""
    bundle: dict[str, Any] = json.loads((EXAMPLES / STAY[kind]).read_text(encoding="utf-8"))
    moved = _shift(bundle, now - datetime.fromisoformat(bundle["timestamp"]))
    header = moved["entry"][0]["resource"]
    [encounter] = _resources(moved, "Encounter")
    encounter["period"]["start"] = _fhir_time(now - ADMITTED_BEFORE)
    [provenance] = _resources(moved, "Provenance")
    return Template(
        kind=kind,
        text=json.dumps(moved, ensure_ascii=False),
        bundle_id=moved["id"],
        header_id=header["id"],
        provenance_id=provenance["id"],
        episode=encounter["episodeOfCare"][0]["identifier"]["value"],
    )


def stays(*, now: datetime, block: int, seed: int = 1) -> Iterator[Message]:
    """Messages of ever new stays, in blocks of `block` stays: their admissions, then their plans,
    then their handovers, so that one stay's messages are `block` messages apart and never race."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    templates = [template(kind, now=now) for kind in STAY]
    while True:
        citizens = [(str(uuid.uuid4()), random_cpr(rng)) for _ in range(block)]
        for kind in templates:
            for episode, cpr in citizens:
                yield kind.message(episode=episode, cpr=cpr)


def take(messages: Iterator[Message], count: int) -> list[Message]:
    return [next(messages) for _ in range(count)]


def random_cpr(rng: random.Random) -> str:
    """A CPR number born 1940-1998 that passes modulus 11 (so the messages carry no warning)."""
    while True:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 59))
        # A first serial digit of 0-3 puts the birth year in the 1900s.
        cpr = born.strftime("%d%m%y") + f"{rng.randrange(4000):04d}"
        if sum(int(d) * w for d, w in zip(cpr, _CPR_WEIGHTS, strict=True)) % 11 == 0:
            return cpr


def _shift(value: Any, by: timedelta) -> Any:
    if isinstance(value, dict):
        return {key: _shift(item, by) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift(item, by) for item in value]
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return _fhir_time(datetime.fromisoformat(value) + by)
    return value


def _fhir_time(moment: datetime) -> str:
    return moment.astimezone(COPENHAGEN).isoformat(timespec="seconds")


def _resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]
