"""The partners a simulated region needs, and their credentials.

Against its own database the simulation registers the region's wards (owned by the region,
profile §7) and all of its municipalities, and makes an API client for each. A municipality
already registered (the demo's Aalborg, say) keeps its SOR and GLN. Against another server
(`--base-url`) the same credentials come from a JSON file that `--register-only` wrote against
that server's database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from overgang.config import Settings
from overgang.service import partners
from overgang.service.database import dispose, sessions_for
from overgang.simulate.region import Region


@dataclass(frozen=True)
class Credentials:
    """Bearer tokens by ward SOR and by municipality code, and the municipalities' SOR/GLN."""

    region: str
    wards: dict[str, str]
    municipalities: dict[str, str]
    addresses: dict[str, tuple[str, str]]  # code -> (SOR, GLN) as registered

    def save(self, path: Path) -> None:
        data = {
            "region": self.region,
            "wards": self.wards,
            "municipalities": self.municipalities,
            "addresses": {code: list(pair) for code, pair in self.addresses.items()},
        }
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> Credentials:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            region=data["region"],
            wards=data["wards"],
            municipalities=data["municipalities"],
            addresses={code: (sor, gln) for code, (sor, gln) in data["addresses"].items()},
        )

    def applied_to(self, region: Region) -> Region:
        """The region with its municipalities' SOR and GLN as they are registered."""
        towns = tuple(
            replace(m, sor=self.addresses[m.code][0], gln=self.addresses[m.code][1])
            if m.code in self.addresses
            else m
            for m in region.municipalities
        )
        return replace(region, municipalities=towns)


def register(settings: Settings, region: Region) -> Credentials:
    """Register what is missing and make a fresh client for every ward and municipality."""
    now = datetime.now(UTC)
    sessions = sessions_for(settings)
    wards, towns, addresses = {}, {}, {}
    try:
        for ward in region.wards:
            if partners.find_partner(sessions=sessions, org=ward.sor) is None:
                partners.register_hospital(
                    sessions=sessions, sor=ward.sor, gln=ward.gln, name=ward.name, now=now,
                    region=region.code,
                )  # fmt: skip
            wards[ward.sor] = partners.create_client(
                sessions=sessions, org=ward.sor, name="simulated EPJ", now=now
            ).token
        for town in region.municipalities:
            known = partners.find_partner(sessions=sessions, org=town.code)
            if known is None:
                partners.register_municipality(
                    sessions=sessions, code=town.code, sor=town.sor, gln=town.gln,
                    name=town.name, now=now,
                )  # fmt: skip
                addresses[town.code] = (town.sor, town.gln)
            else:
                addresses[town.code] = (known.sor, known.gln or town.gln)
            towns[town.code] = partners.create_client(
                sessions=sessions, org=town.code, name="simulated case system", now=now
            ).token
    finally:
        dispose(sessions)
    return Credentials(region.code, wards, towns, addresses)
