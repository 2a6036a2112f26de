"""Applying a message to an episode, without a database: the change intake then stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from overgang.domain.content import DischargeContent
from overgang.domain.episode import EpisodeState, UnknownActivity
from overgang.domain.intake import EpisodeBefore, apply_message
from overgang.domain.judging import is_judged, judged_discharge_at, judged_time_for
from overgang.domain.messages import (
    EncounterFacts,
    EpisodeKey,
    InboundMessage,
    MessageKind,
    OrganisationRef,
    ProvenanceStep,
)

DAY_ONE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
KEY = EpisodeKey(system="https://sor2.sum.dsdn.dk/#id=1144561000016002", value="e1")


def message(
    header_id: str,
    activity: str,
    *,
    kind: MessageKind = MessageKind.HOSPITAL_NOTIFICATION,
    hours: float = 0,
    follows: str | None = None,
    role: str | None = None,
    period_end: datetime | None = None,
    encounter_class: str = "IMP",
) -> InboundMessage:
    moment = DAY_ONE + timedelta(hours=hours)
    return InboundMessage(
        kind=kind,
        bundle_id=f"b-{header_id}",
        header_id=header_id,
        timestamp=moment,
        sender=OrganisationRef(sor="1144561000016002"),
        receiver=OrganisationRef(sor="953741000016009"),
        cpr="2509479989",
        deceased=False,
        encounter=EncounterFacts(
            status="in-progress",
            encounter_class=encounter_class,
            episode_keys=(KEY,),
            period_start=DAY_ONE,
            period_end=period_end,
        ),
        provenance=ProvenanceStep(activity=activity, role=role, follows_header_id=follows),
        content=DischargeContent() if kind is not MessageKind.HOSPITAL_NOTIFICATION else None,
    )


def test_an_admission_starts_the_timeline_and_is_not_judged() -> None:
    change = apply_message(message("h1", "admit-inpatient"), EpisodeBefore(timeline=[]))

    assert [e.code for e in change.timeline] == ["STIN"]
    assert change.state is EpisodeState.ADMITTED
    assert change.admitted_at == DAY_ONE
    assert change.judged is None
    assert change.warnings == ()


def test_a_plan_sets_the_planned_time_and_is_judged_at_it() -> None:
    admitted = apply_message(message("h1", "admit-inpatient"), EpisodeBefore(timeline=[]))
    planned_at = DAY_ONE + timedelta(days=10)

    change = apply_message(
        message(
            "h2", "discharge-plan", kind=MessageKind.DISCHARGE_PLAN, hours=5, period_end=planned_at
        ),
        EpisodeBefore(timeline=admitted.timeline, encounter_class="IMP"),
    )

    assert [e.code for e in change.timeline] == ["STIN", "discharge-plan"]
    assert change.planned_discharge_at == planned_at
    assert change.judged == "planned"
    assert change.content == DischargeContent()


def test_a_correction_rejudges_only_a_judged_episode_and_warns_on_a_broken_chain() -> None:
    discharged_at = DAY_ONE + timedelta(days=3)
    admitted = apply_message(message("h1", "admit-inpatient"), EpisodeBefore(timeline=[]))
    discharged = apply_message(
        message("h2", "discharge-inpatient-home", hours=80, period_end=discharged_at),
        EpisodeBefore(timeline=admitted.timeline),
    )
    correction = message(
        "h3",
        "revise-admit-inpatient",
        hours=90,
        follows="h1",  # not the latest notice: MedCom says follow the latest
        role="revision",
    )

    judged = apply_message(
        correction, EpisodeBefore(timeline=discharged.timeline, judged_before=True)
    )
    not_judged = apply_message(correction, EpisodeBefore(timeline=discharged.timeline))

    assert discharged.judged == "actual" and discharged.discharged_at == discharged_at
    assert judged.judged == "actual"
    assert not_judged.judged is None
    assert judged.timeline[0].replaced_by_header_id == "h3"
    assert [w.diagnostics for w in judged.warnings] == [
        "a correction or cancellation must follow the latest notice of the episode"
    ]


def test_a_late_notice_of_an_earlier_moment_keeps_the_newer_class() -> None:
    admitted = apply_message(
        message("h1", "admit-inpatient", hours=10, encounter_class="IMP"),
        EpisodeBefore(timeline=[]),
    )
    early = replace(message("h0", "admit-emergency", hours=20, encounter_class="EMER"))
    early = replace(
        early, encounter=replace(early.encounter, period_start=DAY_ONE - timedelta(days=1))
    )

    change = apply_message(early, EpisodeBefore(timeline=admitted.timeline, encounter_class="IMP"))

    assert change.encounter_class == "IMP"


def test_an_unknown_activity_is_refused() -> None:
    with pytest.raises(UnknownActivity):
        apply_message(message("h1", "paint-the-ward"), EpisodeBefore(timeline=[]))


@pytest.mark.parametrize(
    ("code", "judged_before", "expected"),
    [
        ("discharge-plan", False, True),
        ("discharge-handover", False, True),
        ("SLHJ", False, True),
        ("RE_SLHJ", False, True),
        ("readiness", False, True),
        ("RE_STIN", False, False),
        ("RE_STIN", True, True),
        ("AN_SLHJ", True, True),
        ("STIN", True, False),
        ("STOR", True, False),
    ],
)
def test_what_is_judged(code: str, judged_before: bool, expected: bool) -> None:
    assert is_judged(code, judged_before=judged_before) is expected


def test_which_discharge_time_is_judged() -> None:
    planned, actual = DAY_ONE, DAY_ONE + timedelta(days=1)

    assert judged_time_for("discharge-plan", discharged=True) == "planned"
    assert judged_time_for("SLHJ", discharged=False) == "actual"
    assert judged_time_for("readiness", discharged=False) == "planned"
    assert judged_time_for("readiness", discharged=True) == "actual"
    assert judged_discharge_at("planned", planned_at=planned, discharged_at=actual) == planned
    assert judged_discharge_at("actual", planned_at=planned, discharged_at=actual) == actual
