"""Judging a whole episode, and the result in profile §4's shape."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from overgang.checklist import (
    ChecklistResult,
    ItemResult,
    default_checklist_dir,
    evaluate_checklist,
    load_checklists,
)
from overgang.domain.content import DischargeContent
from overgang.domain.snapshot import EpisodeSnapshot, Readiness
from overgang.fhir.bundle import BundleIndex
from overgang.fhir.content import extract_discharge_content
from tests.messages import EXAMPLES

ADULT = load_checklists(default_checklist_dir()).for_pathway("adult")
CET = timezone(timedelta(hours=1))
MUNICIPALITY_SOR = "953741000016009"
NOT_APPLICABLE_TO_THE_EXAMPLE = {"coercion-handover", "dual-diagnosis-kip", "jobcentre-included"}


def example_stay(name: str) -> EpisodeSnapshot:
    """The shared example: admitted, plan sent 9 March, ready from 18 March, discharged then."""
    index = BundleIndex(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    encounter = index.first_of_type("Encounter")
    assert encounter is not None
    content = extract_discharge_content(index, encounter)
    readiness = json.loads((EXAMPLES / "03-readiness.json").read_text(encoding="utf-8"))
    return EpisodeSnapshot(
        discharge_at=content.discharge_at,
        admission_notified=True,
        first_plan_sent_at=datetime(2026, 3, 9, 10, 0, tzinfo=CET),
        content=content,
        readiness=Readiness(
            ready=readiness["ready"],
            ready_from=date.fromisoformat(readiness["ready_from"]),
            reason=None,
            answered_at=datetime(2026, 3, 10, 9, 0, tzinfo=CET),
        ),
        municipality_sors=frozenset({MUNICIPALITY_SOR}),
    )


def test_the_example_handover_is_complete_with_every_applicable_item_met() -> None:
    result = evaluate_checklist(ADULT, example_stay("05-discharge-handover.json"))

    assert result.complete is True
    assert (result.id, result.version) == ("psychiatry-adult", "1")
    assert {i.id for i in result.items if i.status == "not-applicable"} == (
        NOT_APPLICABLE_TO_THE_EXAMPLE
    )
    assert all(i.status == "met" for i in result.items if i.id not in NOT_APPLICABLE_TO_THE_EXAMPLE)
    assert [i.id for i in result.items] == [item.id for item in ADULT.items]


def test_the_example_plan_is_complete_but_for_its_draft_agreement() -> None:
    result = evaluate_checklist(ADULT, example_stay("02-discharge-plan.json"))

    assert result.complete is False
    assert [i.id for i in result.missing] == ["udskrivningsaftale"]


def test_the_result_has_exactly_the_profile_shape() -> None:
    result = evaluate_checklist(
        ADULT, EpisodeSnapshot(content=DischargeContent(no_medication=True))
    )

    data = result.to_json()

    assert list(data) == ["id", "version", "complete", "items"]
    assert data["complete"] is False
    for item in data["items"]:
        if item["status"] == "missing":
            assert list(item) == ["id", "severity", "status", "explanation"]
            assert item["explanation"]
        else:
            assert list(item) == ["id", "severity", "status"]
    assert {"id": "medication-list", "severity": "required", "status": "met"} in data["items"]
    assert json.loads(json.dumps(data)) == data


def test_an_empty_episode_misses_the_time_dependent_items_for_want_of_a_time() -> None:
    result = evaluate_checklist(ADULT, EpisodeSnapshot())

    unknown_time = {
        i.id
        for i in result.items
        if i.explanation and i.explanation.startswith("Udskrivningstidspunktet er ikke kendt.")
    }
    assert unknown_time == {
        "discharge-plan-shared-early",
        "no-weekend-discharge",
        "follow-up-booked",
    }


def test_recommended_items_do_not_make_the_result_incomplete() -> None:
    stay = example_stay("05-discharge-handover.json")
    without_coordinator = tuple(c for c in stay.content.contacts if c.role != "coordinator")
    state = replace(stay, content=replace(stay.content, contacts=without_coordinator))

    result = evaluate_checklist(ADULT, state)

    assert [i.id for i in result.missing] == ["coordinator-named"]
    assert result.complete is True


def test_a_result_survives_storage_as_json() -> None:
    result = evaluate_checklist(ADULT, EpisodeSnapshot())

    stored = json.loads(json.dumps(result.to_json()))
    restored = ChecklistResult.from_json(stored, definition=ADULT)

    assert restored == result
    assert restored.to_json() == stored
    plain = ChecklistResult.from_json(stored)
    assert plain.items[0].title_da is None
    assert plain.to_json() == stored


def test_missing_items_carry_the_danish_title_and_explanation() -> None:
    result = evaluate_checklist(ADULT, EpisodeSnapshot())

    medication = next(i for i in result.items if i.id == "medication-list")

    assert medication == ItemResult(
        id="medication-list",
        severity="required",
        status="missing",
        title_da="Medicinliste ved udskrivning",
        explanation=ADULT.item("medication-list").explanation,
    )


def test_a_stored_result_with_an_unknown_status_is_refused() -> None:
    stored = {
        "id": "psychiatry-adult",
        "version": "1",
        "complete": True,
        "items": [{"id": "medication-list", "severity": "required", "status": "maybe"}],
    }

    with pytest.raises(ValueError, match="unknown status"):
        ChecklistResult.from_json(stored)


def test_the_snapshot_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EpisodeSnapshot(discharge_at=datetime(2026, 3, 18, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        Readiness(ready=True, ready_from=None, reason=None, answered_at=datetime(2026, 3, 18))
