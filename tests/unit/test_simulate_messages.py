"""The simulation's messages: the same seed gives byte-identical requests, and what they say
reads back as the stay's facts."""

from __future__ import annotations

import itertools
from datetime import datetime

import orjson

from overgang.simulate.region import build_region
from overgang.simulate.run import Plan
from overgang.simulate.stays import COPENHAGEN

END = datetime(2026, 3, 1, tzinfo=COPENHAGEN)


def requests(seed: int) -> list[tuple[str, str, bytes]]:
    plan = Plan(region=build_region("DK-81"), seed=seed, weeks=3, end=END)
    return [(r.sender, r.path, r.body) for r in plan.requests(plan.stays())]


def test_the_same_seed_gives_byte_identical_messages() -> None:
    first, again = requests(11), requests(11)

    assert len(first) > 500
    assert first == again
    assert requests(12) != first


def test_every_request_is_stamped_in_the_past_and_in_time_order() -> None:
    plan = Plan(region=build_region("DK-84"), seed=3, weeks=2, end=END)
    stamps = [r.at for r in plan.requests(plan.stays())]

    assert stamps == sorted(stamps)
    assert all(stamp <= END for stamp in stamps)


def test_fhir_notices_carry_the_episodes_provenance_chain_and_the_patients_name() -> None:
    plan = Plan(region=build_region("DK-81"), seed=5, weeks=4, end=END)
    fhir = [r for r in plan.requests(plan.stays()) if r.transport == "fhir"]
    by_episode = {
        episode: list(group)
        for episode, group in itertools.groupby(
            sorted(fhir, key=lambda r: (r.episode, r.at)), key=lambda r: r.episode
        )
    }
    long_stay = next(
        group for group in by_episode.values() if [r.label for r in group][:2] == ["STIN", "STOR"]
    )
    stin, stor = (orjson.loads(r.body) for r in long_stay[:2])
    provenances = [
        e["resource"] for e in stor["entry"] if e["resource"]["resourceType"] == "Provenance"
    ]

    assert [p["activity"]["coding"][0]["code"] for p in provenances] == [
        "admit-inpatient",
        "start-leave-inpatient",
    ]
    assert provenances[1]["entity"][0]["what"]["reference"] == (
        f"MessageHeader/{stin['entry'][0]['resource']['id']}"
    )
    patient = next(
        e["resource"] for e in stin["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["name"][0]["use"] == "official"
    assert "extension" in stin["entry"][0]["resource"]  # report of admission, on a first STIN
