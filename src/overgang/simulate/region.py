"""A region's psychiatric wards and municipalities, as the simulation plays them.

The wards are of our own making (names, SOR and GLN numbers with valid check digits); the
municipalities are the real ones of the region (`overgang.reference`), each with a SOR and GLN
of our own making unless the caller already knows its registered ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from overgang.domain.identifiers import verhoeff_check_digit
from overgang.reference import municipalities

# The cities of each region's psychiatric hospitals (wards named after them are invented).
HOSPITAL_CITIES: Final = {
    "DK-81": ("Aalborg", "Aalborg", "Brønderslev", "Hjørring", "Thisted"),
    "DK-82": ("Aarhus", "Aarhus", "Aarhus", "Herning", "Randers", "Viborg", "Horsens"),
    "DK-83": ("Odense", "Odense", "Esbjerg", "Vejle", "Aabenraa", "Middelfart"),
    "DK-84": ("København", "København", "Glostrup", "Hvidovre", "Hillerød", "Ballerup", "Amager"),
    "DK-85": ("Roskilde", "Roskilde", "Slagelse", "Vordingborg", "Holbæk"),
}
CHILD_YOUTH_CITY: Final = {
    "DK-81": "Aalborg",
    "DK-82": "Aarhus",
    "DK-83": "Odense",
    "DK-84": "Glostrup",
    "DK-85": "Roskilde",
}
# Approximate inhabitants (Danmarks Statistik FOLK1A, 2024, rounded) where we have them: a
# citizen's municipality is drawn by these weights; other municipalities weigh 40,000.
INHABITANTS: Final = {
    "0851": 222_000,
    "0813": 59_000,
    "0860": 64_000,
    "0846": 41_000,
    "0820": 36_000,
    "0840": 30_000,
    "0810": 36_000,
    "0849": 38_000,
    "0787": 43_000,
    "0773": 20_000,
    "0825": 1_700,
    "0101": 660_000,
    "0751": 365_000,
    "0461": 207_000,
    "0411": 90,  # Christiansø
}
DEFAULT_INHABITANTS: Final = 40_000
SOR_NAMESPACE: Final = "1000016"  # the Danish SNOMED CT namespace; partition 00


@dataclass(frozen=True)
class Ward:
    sor: str
    gln: str
    name: str
    child_youth: bool = False


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    sor: str
    gln: str
    inhabitants: int


@dataclass(frozen=True)
class Region:
    code: str
    wards: tuple[Ward, ...]
    municipalities: tuple[Municipality, ...]

    @property
    def adult_wards(self) -> tuple[Ward, ...]:
        return tuple(w for w in self.wards if not w.child_youth)

    @property
    def child_youth_wards(self) -> tuple[Ward, ...]:
        return tuple(w for w in self.wards if w.child_youth)


def sor_code(item: str) -> str:
    """A SOR id in SNOMED CT identifier form: item, namespace, partition 00, Verhoeff digit."""
    body = f"{item}{SOR_NAMESPACE}00"
    return body + verhoeff_check_digit(body)


def gln_code(body12: str) -> str:
    """A GLN: 12 digits and the GS1 mod-10 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body12)))
    return body12 + str((10 - total % 10) % 10)


def build_region(code: str) -> Region:
    """The region's wards (several adult wards and one for children and young people) and all
    of its municipalities."""
    digit = code[-1]
    wards = [
        Ward(
            sor=sor_code(f"7{digit}{i:03d}"),
            gln=gln_code(f"57900017{digit}{i:03d}"),
            name=f"Psykiatrien, Afsnit P{i}, {city}",
        )
        for i, city in enumerate(HOSPITAL_CITIES[code], start=1)
    ]
    wards.append(
        Ward(
            sor=sor_code(f"7{digit}900"),
            gln=gln_code(f"57900017{digit}900"),
            name=f"Børne- og Ungdomspsykiatrien, Afsnit B1, {CHILD_YOUTH_CITY[code]}",
            child_youth=True,
        )
    )
    towns = sorted((m for m in municipalities().values() if m.region == code), key=lambda m: m.code)
    return Region(
        code=code,
        wards=tuple(wards),
        municipalities=tuple(
            Municipality(
                code=m.code,
                name=f"{m.name} Kommune",
                sor=sor_code(f"6{m.code}"),
                gln=gln_code(f"57900016{m.code}"),
                inhabitants=INHABITANTS.get(m.code, DEFAULT_INHABITANTS),
            )
            for m in towns
        ),
    )
