"""Reference data shipped with the package: the Danish municipalities (code, name, region)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class Municipality:
    code: str  # 4 digits, zero-padded: "0851"
    name: str
    region: str  # ISO 3166-2: DK-81 ... DK-85


@cache
def municipalities() -> dict[str, Municipality]:
    text = files(__package__).joinpath("municipalities.csv").read_text(encoding="utf-8")
    return {
        row["code"]: Municipality(code=row["code"], name=row["name"], region=row["region"])
        for row in csv.DictReader(text.splitlines())
    }
