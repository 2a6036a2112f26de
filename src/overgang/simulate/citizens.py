"""Synthetic citizens: CPR numbers that are valid in form and date, and Danish names."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

GIVEN = {
    "female": ("Anne", "Mette", "Sofie", "Ida", "Laura", "Emma", "Camilla", "Louise", "Maria"),
    "male": ("Jens", "Peter", "Mads", "Frederik", "Lars", "Mikkel", "Rasmus", "Anders", "Emil"),
}
FAMILY = (
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen",
)  # fmt: skip


@dataclass(frozen=True)
class Citizen:
    cpr: str
    given: str
    family: str
    child_youth: bool


class CitizenRegister:
    """Hands out citizens with distinct CPR numbers, drawn from the simulation's random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.issued: set[str] = set()

    def new(self, *, child_youth: bool) -> Citizen:
        rng = self.rng
        while True:
            age_days = (
                rng.randint(13 * 365, 17 * 365) if child_youth else rng.randint(18 * 365, 80 * 365)
            )
            born = date(2026, 1, 1) - timedelta(days=age_days)
            # The 7th digit tells the century (brief §5): 0-3 for the 1900s, 4 for 2000-2036.
            century = "4" if born.year >= 2000 else str(rng.randint(0, 3))
            sex = rng.choice(("female", "male"))
            last = rng.randrange(0, 10, 2) if sex == "female" else rng.randrange(1, 10, 2)
            cpr = f"{born:%d%m%y}{century}{rng.randrange(100):02d}{last}"
            if cpr not in self.issued:
                self.issued.add(cpr)
                return Citizen(
                    cpr=cpr,
                    given=rng.choice(GIVEN[sex]),
                    family=rng.choice(FAMILY),
                    child_youth=child_youth,
                )
