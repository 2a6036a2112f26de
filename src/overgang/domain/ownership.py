"""Who owns an episode (profile §7), the one home of that rule.

A region that registered its hospitals is the data controller of their episodes and runs one
EPJ for its wards, so its hospitals continue each other's episodes (a transfer). A hospital
registered without a region owns its episodes alone. Whoever is not the owner is told nothing
about the episode: not that it exists, not whose it is.
"""

from __future__ import annotations

REGION_NAMES = {
    "DK-81": "Region Nordjylland",
    "DK-82": "Region Midtjylland",
    "DK-83": "Region Syddanmark",
    "DK-84": "Region Hovedstaden",
    "DK-85": "Region Sjælland",
}
REGIONS = frozenset(REGION_NAMES)


class UnknownRegion(ValueError):
    pass


def normalise_region(text: str) -> str:
    """A Danish region's ISO 3166-2 code, DK-81 ... DK-85 (`dk-81` and `81` are taken too)."""
    code = text.strip().upper()
    if code.isdigit():
        code = f"DK-{code}"
    if code not in REGIONS:
        raise UnknownRegion(
            f"{text!r} is not a Danish region: use one of {', '.join(sorted(REGIONS))}"
        )
    return code


def owner_of(*, region: str | None, sor: str) -> str:
    """The owner of the episodes a hospital starts: its region, else the hospital (its SOR)."""
    return region or sor
