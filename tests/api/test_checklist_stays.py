"""Whole stays with gaps, through HTTP: each gap is flagged exactly, with its severity, in the
ward's Acknowledgement, in Aalborg's inbox and in the ward's pre-flight after the plan.

Each stay is the shared example sent anew (tests/stays.py) with its own episode, times and gaps.
Times are Copenhagen wall-clock times in 2026.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tests.conftest import Api
from tests.messages import resources
from tests.stays import (
    Citizen,
    Stay,
    activity,
    add_activity,
    add_plan,
    appointment,
    at,
    child_youth_pathway,
    coercion_used,
    destination,
    diagnosis,
    discharged,
    expected,
    flagged_in_ack,
    missing_in,
    municipal_support,
    no_medication,
    not_ready,
    note,
    plan_status,
    plan_type,
    ready_from,
    responsible_everywhere,
    stay,
    weekend_discharge_agreed,
    without,
    without_appointment,
    without_phone,
    without_team_role,
)

ADULT, CHILD_YOUTH = "psychiatry-adult", "psychiatry-child-youth"
FREJA = Citizen("1203094007", "Freja", "Nørgaard")  # 17 years old in 2026
MADS = Citizen("0305884006", "Mads", "Kristensen")
JONAS = Citizen("2804024002", "Jonas", "Østergaard")


@dataclass(frozen=True)
class Judged:
    """What the ward and Aalborg were told about one stay."""

    plan_ack: dict[str, Any] | None
    preflight: dict[str, Any] | None  # GET .../readiness after the plan (and Aalborg's answer)
    handover_ack: dict[str, Any]
    inbox: dict[str, list[dict[str, Any]]]  # Aalborg's inbox items of the stay, by kind


def accepted(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    ack: dict[str, Any] = response.json()
    assert ack["entry"][0]["resource"]["response"]["code"] == "ok", response.text
    return ack


def answer_readiness(api: Api, episode: str, answer: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post(
        f"/api/v1/episodes/{episode}/readiness", json=answer, headers=api.auth(api.tokens.aalborg)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def preflight(api: Api, episode: str) -> dict[str, Any]:
    response = api.client.get(
        f"/api/v1/episodes/{episode}/readiness", headers=api.auth(api.tokens.hospital)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def inbox_of(api: Api, episode: str) -> dict[str, list[dict[str, Any]]]:
    items: list[dict[str, Any]] = api.inbox(limit=500).json()["items"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["episode"] == episode:
            by_kind.setdefault(item["kind"], []).append(item)
    return by_kind


def send_stay(api: Api, one: Stay) -> Judged:
    """Admission, plan, Aalborg's answer, the ward's pre-flight, discharge and handover."""
    if one.admission:
        accepted(api.send(one.admission))
    plan_ack = accepted(api.send(one.plan)) if one.plan else None
    if one.readiness is not None:
        answer_readiness(api, one.episode, one.readiness)
    checked = preflight(api, one.episode) if one.plan else None
    if one.discharge:
        accepted(api.send(one.discharge))
    handover_ack = accepted(api.send(one.handover))
    return Judged(
        plan_ack=plan_ack,
        preflight=checked,
        handover_ack=handover_ack,
        inbox=inbox_of(api, one.episode),
    )


def assert_flagged(
    judged: Judged,
    *item_ids: str,
    checklist: str = ADULT,
    before_discharge: tuple[str, ...] | None = None,
) -> None:
    """Exactly these items are flagged at handover, in the answer and the inbox; and, unless
    `before_discharge` says otherwise, the same in the pre-flight at the planned time."""
    wanted = expected(*item_ids)
    assert flagged_in_ack(judged.handover_ack) == wanted
    [handover] = judged.inbox["handover"]
    result = handover["checklist"]
    assert (result["id"], result["version"]) == (checklist, "1")
    assert missing_in(result) == wanted
    assert result["complete"] is ("required" not in wanted.values())
    if judged.plan_ack is not None:
        # The plan goes to Aalborg with the result the ward was answered with.
        [plan] = judged.inbox["discharge-plan"]
        assert plan["checklist"]["id"] == checklist
        assert missing_in(plan["checklist"]) == flagged_in_ack(judged.plan_ack)
    if judged.preflight is not None:
        planned = expected(*(item_ids if before_discharge is None else before_discharge))
        assert judged.preflight["judged"] == "planned"
        assert judged.preflight["checklist"]["id"] == checklist
        assert missing_in(judged.preflight["checklist"]) == planned
        for item in judged.preflight["checklist"]["items"]:
            if item["status"] == "missing":
                assert item["title"] and item["explanation"], item


# --- the control: the example, moved to another month, meets everything ------------------------


def test_a_stay_like_the_example_in_june_meets_every_item(api: Api) -> None:
    judged = send_stay(api, stay(discharge_at=at(2026, 6, 17, 10, 0)))

    assert_flagged(judged)
    # The plan itself was judged before Aalborg answered.
    assert flagged_in_ack(judged.plan_ack or {}) == expected("municipality-ready")


# --- no-weekend-discharge --------------------------------------------------------------------


def test_discharge_on_friday_afternoon_without_an_agreement_is_flagged(api: Api) -> None:
    friday_afternoon = at(2026, 6, 12, 14, 0)

    judged = send_stay(api, stay(discharge_at=friday_afternoon))

    assert_flagged(judged, "no-weekend-discharge")
    assert judged.preflight and judged.preflight["discharge_at"] == "2026-06-12T12:00:00Z"


def test_discharge_on_friday_just_before_noon_is_not_flagged(api: Api) -> None:
    judged = send_stay(api, stay(discharge_at=at(2026, 6, 12, 11, 59)))

    assert_flagged(judged)


def test_discharge_on_friday_at_noon_sharp_is_flagged(api: Api) -> None:
    judged = send_stay(api, stay(discharge_at=at(2026, 6, 12, 12, 0)))

    assert_flagged(judged, "no-weekend-discharge")


def test_a_discharge_time_sent_in_utc_is_judged_on_the_copenhagen_clock(api: Api) -> None:
    # 10:30Z is 12:30 in Copenhagen in June: Friday afternoon.
    one = stay(discharge_at=at(2026, 6, 12, 11, 0))
    for message in (one.plan, one.discharge, one.handover):
        assert message is not None
        [encounter] = resources(message, "Encounter")
        encounter["period"]["end"] = "2026-06-12T10:30:00Z"

    judged = send_stay(api, one)

    assert_flagged(judged, "no-weekend-discharge")


def test_friday_afternoon_discharge_agreed_with_the_municipality_is_not_flagged(api: Api) -> None:
    judged = send_stay(
        api, stay(discharge_at=at(2026, 6, 12, 14, 0), changes=[weekend_discharge_agreed()])
    )

    assert_flagged(judged)


def test_discharge_the_afternoon_before_ascension_day_is_flagged(api: Api) -> None:
    # Kristi himmelfartsdag is Thursday 14 May 2026: the Wednesday afternoon is a "Friday".
    judged = send_stay(api, stay(discharge_at=at(2026, 5, 13, 13, 0)))

    assert_flagged(judged, "no-weekend-discharge")


def test_the_preflight_warns_of_a_friday_afternoon_plan_that_the_ward_then_moves(
    api: Api,
) -> None:
    judged = send_stay(
        api,
        stay(
            planned_discharge_at=at(2026, 6, 12, 14, 0),
            discharge_at=at(2026, 6, 11, 10, 0),
        ),
    )

    assert_flagged(judged, before_discharge=("no-weekend-discharge",))
    assert flagged_in_ack(judged.plan_ack or {}) == expected(
        "no-weekend-discharge", "municipality-ready"
    )


def test_a_discharge_time_corrected_before_the_handover_is_judged_anew(api: Api) -> None:
    """The SLHJ says Friday 14:00; the citizen left on Thursday at 10:00. The ward corrects the
    SLHJ, then sends the handover with the right time."""
    friday, thursday = at(2026, 9, 25, 14, 0), at(2026, 9, 24, 10, 0)
    told = stay(
        discharge_at=friday,
        readiness=ready_from(thursday.date()),
        handover_changes=[discharged(thursday)],
    )
    assert told.admission and told.plan and told.readiness and told.discharge
    accepted(api.send(told.admission))
    accepted(api.send(told.plan))
    answer_readiness(api, told.episode, told.readiness)

    slhj = accepted(api.send(told.discharge))
    fix = accepted(
        api.send(told.correction(discharge_at=thursday, sent_at=at(2026, 9, 25, 14, 10)))
    )
    after_fix = api.episode(told.episode).json()
    handover = accepted(api.send(told.handover))

    assert flagged_in_ack(slhj) == expected("no-weekend-discharge")
    assert flagged_in_ack(fix) == {}
    assert after_fix["checklist"]["trigger"] == "RE_SLHJ"
    assert after_fix["discharged_at"] == "2026-09-24T08:00:00Z"
    assert missing_in(after_fix["checklist"]["result"]) == {}
    assert flagged_in_ack(handover) == {}
    assert missing_in(inbox_of(api, told.episode)["handover"][0]["checklist"]) == {}


def test_a_correction_after_the_handover_moves_the_discharge_out_of_the_weekend(
    api: Api,
) -> None:
    """The secretary registered the discharge on Friday at 14:00 (SLHJ and handover); the
    citizen left on Thursday at 10:00, and the ward corrects the SLHJ afterwards."""
    friday, thursday = at(2026, 9, 25, 14, 0), at(2026, 9, 24, 10, 0)
    told = stay(discharge_at=friday, readiness=ready_from(thursday.date()))
    judged = send_stay(api, told)
    assert flagged_in_ack(judged.handover_ack) == expected("no-weekend-discharge")

    fix = accepted(api.send(told.correction(discharge_at=thursday, sent_at=at(2026, 9, 28, 9, 15))))

    episode = api.episode(told.episode).json()
    assert episode["checklist"]["trigger"] == "RE_SLHJ"
    assert episode["checklist"]["judged"] == "actual"
    assert flagged_in_ack(fix) == {}
    assert episode["discharged_at"] == "2026-09-24T08:00:00Z"
    assert missing_in(episode["checklist"]["result"]) == {}


def test_a_correction_after_the_handover_into_friday_afternoon_is_flagged(api: Api) -> None:
    thursday, friday = at(2026, 9, 24, 10, 0), at(2026, 9, 25, 14, 0)
    told = stay(discharge_at=thursday)
    assert_flagged(send_stay(api, told))

    fix = accepted(api.send(told.correction(discharge_at=friday, sent_at=at(2026, 9, 28, 9, 15))))

    assert flagged_in_ack(fix) == expected("no-weekend-discharge")
    episode = api.episode(told.episode).json()
    assert episode["checklist"]["trigger"] == "RE_SLHJ"
    assert missing_in(episode["checklist"]["result"]) == expected("no-weekend-discharge")


# --- discharge-plan-shared-early ---------------------------------------------------------------


def test_a_plan_sent_the_day_before_discharge_is_too_late(api: Api) -> None:
    judged = send_stay(
        api, stay(discharge_at=at(2026, 9, 15, 10, 0), plan_sent_at=at(2026, 9, 14, 15, 30))
    )

    assert_flagged(judged, "discharge-plan-shared-early")
    [item] = [
        i for i in judged.inbox["handover"][0]["checklist"]["items"] if i["status"] == "missing"
    ]
    assert "Planen kom 1 arbejdsdage" in item["explanation"]


def test_a_child_youth_plan_five_working_days_ahead_is_too_late(api: Api) -> None:
    # The child and youth checklist wants 8 working days; the adult one would accept 5.
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 10, 8, 10, 0),
            plan_sent_at=at(2026, 10, 1, 10, 0),
            citizen=FREJA,
            changes=[child_youth_pathway()],
        ),
    )

    assert_flagged(judged, "discharge-plan-shared-early", checklist=CHILD_YOUTH)
    [item] = [
        i for i in judged.inbox["handover"][0]["checklist"]["items"] if i["status"] == "missing"
    ]
    assert "Planen kom 5 arbejdsdage før udskrivningsdagen; aftalen er 8." in item["explanation"]


def test_a_child_youth_plan_eight_working_days_ahead_is_in_time(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 10, 8, 10, 0),
            plan_sent_at=at(2026, 9, 28, 10, 0),
            citizen=FREJA,
            changes=[child_youth_pathway()],
        ),
    )

    assert_flagged(judged, checklist=CHILD_YOUTH)


def test_a_revised_plan_the_day_before_keeps_the_lead_time_of_the_first(api: Api) -> None:
    one = stay(discharge_at=at(2026, 9, 16, 10, 0))
    assert one.admission and one.plan and one.readiness and one.discharge
    accepted(api.send(one.admission))
    accepted(api.send(one.plan))
    answer_readiness(api, one.episode, one.readiness)
    later_follow_up = appointment("follow-up", start=at(2026, 9, 30, 9, 0))

    revised = accepted(
        api.send(one.revised_plan(sent_at=at(2026, 9, 15, 9, 0), changes=[later_follow_up]))
    )
    accepted(api.send(one.discharge))
    handover = accepted(api.send(one.handover))

    assert flagged_in_ack(revised) == {}
    assert flagged_in_ack(handover) == {}
    plans = inbox_of(api, one.episode)["discharge-plan"]
    assert [missing_in(plan["checklist"]) for plan in plans] == [
        expected("municipality-ready"),  # judged before Aalborg answered
        {},
    ]


# --- medication-list ---------------------------------------------------------------------------


def test_a_handover_without_any_medication_is_flagged(api: Api) -> None:
    judged = send_stay(
        api, stay(discharge_at=at(2026, 4, 22, 10, 0), changes=[without("MedicationStatement")])
    )

    assert_flagged(judged, "medication-list")


def test_no_medication_stated_as_an_empty_medication_list_is_met(api: Api) -> None:
    judged = send_stay(api, stay(discharge_at=at(2026, 4, 22, 10, 0), changes=[no_medication()]))

    assert_flagged(judged)
    assert judged.inbox["handover"][0]["checklist"]["complete"] is True


# --- follow-up-booked --------------------------------------------------------------------------


def test_a_follow_up_31_days_after_discharge_is_too_late(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 9, 1, 10, 0),
            changes=[appointment("follow-up", start=at(2026, 10, 2, 10, 0))],
        ),
    )

    assert_flagged(judged, "follow-up-booked")


def test_a_follow_up_30_days_later_at_the_same_clock_time_is_in_time_across_summer_time(
    api: Api,
) -> None:
    # 5 October 10:00+02:00 to 4 November 10:00+01:00: 30 days and one hour in UTC.
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 10, 5, 10, 0),
            changes=[appointment("follow-up", start=at(2026, 11, 4, 10, 0))],
        ),
    )

    assert_flagged(judged)


def test_a_cancelled_follow_up_is_flagged(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 9, 1, 10, 0),
            handover_changes=[appointment("follow-up", status="cancelled")],
        ),
    )

    # Booked when the plan came; cancelled by the handover.
    assert_flagged(judged, "follow-up-booked", before_discharge=())


# --- coercion-handover -------------------------------------------------------------------------


def test_coercion_without_a_coercion_note_is_flagged(api: Api) -> None:
    judged = send_stay(
        api, stay(discharge_at=at(2026, 7, 8, 10, 0), citizen=MADS, changes=[coercion_used()])
    )

    assert_flagged(judged, "coercion-handover")


def test_coercion_told_in_a_coercion_note_is_met(api: Api) -> None:
    coercion_note = note(
        "coercion",
        "Tvangsindlagt på gule papirer 22.06. Bæltefiksering i 3 timer 23.06 og "
        "tvangsmedicinering 23.06-27.06; ingen tvang siden. Borgeren vil gerne tale om "
        "tvangen med sin bostøtte.",
    )
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 7, 8, 10, 0),
            citizen=MADS,
            changes=[coercion_used(), coercion_note],
        ),
    )

    assert_flagged(judged)


# --- udskrivningsaftale and municipality-ready ---------------------------------------------------


def test_sel_part_v_support_with_the_agreement_still_a_draft_is_flagged(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 6, 24, 10, 0),
            changes=[plan_status("udskrivningsaftale", "draft")],
        ),
    )

    assert_flagged(judged, "udskrivningsaftale")


def test_a_draft_agreement_in_the_plan_is_flagged_until_the_handover_makes_it_active(
    api: Api,
) -> None:
    # As in the shared example: the udskrivningsaftale is agreed between plan and discharge.
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 6, 24, 10, 0),
            plan_changes=[plan_status("udskrivningsaftale", "draft")],
        ),
    )

    assert_flagged(judged, before_discharge=("udskrivningsaftale",))


def test_a_citizen_who_will_not_seek_help_with_an_active_koordinationsplan_is_met(
    api: Api,
) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 6, 24, 10, 0),
            changes=[
                municipal_support("will-not-seek-help"),
                plan_type("udskrivningsaftale", "koordinationsplan"),
            ],
        ),
    )

    assert_flagged(judged)


def test_the_municipality_answering_not_ready_is_flagged(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 6, 24, 10, 0),
            readiness=not_ready("Bostøtten kan tidligst starte 1. juli; der er venteliste."),
        ),
    )

    assert_flagged(judged, "municipality-ready")


def test_the_municipality_ready_only_after_the_discharge_day_is_flagged(api: Api) -> None:
    discharge_at = at(2026, 6, 24, 10, 0)
    judged = send_stay(
        api,
        stay(
            discharge_at=discharge_at,
            readiness=ready_from(discharge_at.date() + timedelta(days=5)),
        ),
    )

    assert_flagged(judged, "municipality-ready")


def test_aalborg_answering_ready_after_all_clears_the_gap(api: Api) -> None:
    one = stay(
        discharge_at=at(2026, 6, 24, 10, 0),
        readiness=not_ready("Bostøtten kan tidligst starte 1. juli; der er venteliste."),
    )
    assert_flagged(send_stay(api, one), "municipality-ready")

    answer = answer_readiness(api, one.episode, ready_from(date(2026, 6, 24)))

    assert missing_in(answer) == {}
    episode = api.episode(one.episode).json()
    assert episode["checklist"]["trigger"] == "readiness"
    assert episode["checklist"]["judged"] == "actual"
    assert missing_in(episode["checklist"]["result"]) == {}


# --- housing-arranged ------------------------------------------------------------------------


def test_discharge_to_no_fixed_address_is_flagged(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 8, 19, 10, 0),
            citizen=MADS,
            changes=[destination("no-fixed-address")],
        ),
    )

    assert_flagged(judged, "housing-arranged")


def test_discharge_to_a_shelter_with_a_municipal_action_is_housing_arranged(api: Api) -> None:
    shelter_place = activity(
        "Plads på forsorgshjemmet Aalborghus (servicelovens § 110) og hjælp til at søge bolig",
        responsible="municipality",
        scheduled="fra udskrivelsesdagen",
    )
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 8, 19, 10, 0),
            citizen=MADS,
            changes=[destination("shelter"), add_activity("udskrivningsaftale", shelter_place)],
        ),
    )

    assert_flagged(judged)


def test_discharge_to_a_shelter_with_only_regional_actions_is_flagged(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 8, 19, 10, 0),
            citizen=MADS,
            changes=[destination("shelter"), responsible_everywhere("region")],
        ),
    )

    assert_flagged(judged, "housing-arranged")


# --- recommended items: warnings only --------------------------------------------------------


def test_dual_diagnosis_without_a_kip_is_a_warning_only(api: Api) -> None:
    # Paranoid schizophrenia (DF200, the example's) and alcohol dependence (DF102).
    judged = send_stay(
        api, stay(discharge_at=at(2026, 5, 20, 10, 0), citizen=JONAS, changes=[diagnosis("DF102")])
    )

    assert_flagged(judged, "dual-diagnosis-kip")
    assert judged.inbox["handover"][0]["checklist"]["complete"] is True
    [issue] = [
        issue
        for entry in judged.handover_ack["entry"]
        if entry["resource"]["resourceType"] == "OperationOutcome"
        for issue in entry["resource"]["issue"]
        if issue["code"] == "business-rule"
    ]
    assert issue["severity"] == "warning"


def test_dual_diagnosis_with_a_kip_reviewed_within_six_months_is_met(api: Api) -> None:
    kip = add_plan(
        "koordinerende-indsatsplan",
        title="Koordinerende indsatsplan",
        actions=[
            activity(
                "Ambulant alkoholbehandling i Aalborg Kommunes rusmiddelcenter",
                responsible="substance-treatment",
                scheduled="ugentligt fra 27. maj",
            )
        ],
        review=date(2026, 8, 20),
    )
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 5, 20, 10, 0),
            citizen=JONAS,
            changes=[diagnosis("DF102"), kip],
        ),
    )

    assert_flagged(judged)


def test_a_kip_reviewed_more_than_six_months_after_discharge_is_a_warning(api: Api) -> None:
    kip = add_plan(
        "koordinerende-indsatsplan",
        title="Koordinerende indsatsplan",
        actions=[
            activity(
                "Ambulant alkoholbehandling i Aalborg Kommunes rusmiddelcenter",
                responsible="substance-treatment",
                scheduled="ugentligt fra 27. maj",
            )
        ],
        review=date(2026, 11, 21),  # the discharge day plus 6 months is 20 November
    )
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 5, 20, 10, 0),
            citizen=JONAS,
            changes=[diagnosis("DF102"), kip],
        ),
    )

    assert_flagged(judged, "dual-diagnosis-kip")


def test_a_jobcentre_case_without_a_jobcentre_action_is_a_warning_only(api: Api) -> None:
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 9, 9, 10, 0),
            citizen=JONAS,
            changes=[municipal_support("sel-part-v", "jobcentre-case")],
        ),
    )

    assert_flagged(judged, "jobcentre-included")
    assert judged.inbox["handover"][0]["checklist"]["complete"] is True


def test_a_jobcentre_case_with_an_ips_meeting_in_the_plan_is_met(api: Api) -> None:
    ips = activity(
        "Første samtale med IPS-konsulent fra Jobcenter Aalborg",
        responsible="jobcentre",
        scheduled="uge 39",
    )
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 9, 9, 10, 0),
            citizen=JONAS,
            changes=[
                municipal_support("sel-part-v", "jobcentre-case"),
                add_activity("udskrivningsaftale", ips),
            ],
        ),
    )

    assert_flagged(judged)


# --- municipality-notified-at-admission, hospital-contact, agreed-actions-complete -----------


def test_a_stay_never_notified_at_admission_is_flagged(api: Api) -> None:
    # No STIN and no SLHJ: the ward sent only the plan and the handover.
    judged = send_stay(
        api, stay(discharge_at=at(2026, 10, 14, 10, 0), hospital_notifications=False)
    )

    assert_flagged(judged, "municipality-notified-at-admission")
    assert [i["kind"] for i in api.inbox().json()["items"]] == ["discharge-plan", "handover"]


def test_a_hospital_contact_without_a_phone_number_is_flagged(api: Api) -> None:
    judged = send_stay(
        api,
        stay(discharge_at=at(2026, 10, 14, 10, 0), changes=[without_phone("hospital-contact")]),
    )

    assert_flagged(judged, "hospital-contact")


def test_an_agreed_action_without_anyone_responsible_or_a_time_is_flagged(api: Api) -> None:
    loose_end = activity("Ansøgning om førtidspension", responsible=None, scheduled=None)
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 10, 14, 10, 0),
            changes=[add_activity("udskrivningsaftale", loose_end)],
        ),
    )

    assert_flagged(judged, "agreed-actions-complete")


def test_a_discharge_meeting_not_held_before_the_discharge_is_a_warning(
    api: Api,
) -> None:
    # The meeting is booked for the same minute the citizen leaves: not before the discharge.
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 10, 14, 10, 0),
            changes=[appointment("discharge-meeting", start=at(2026, 10, 14, 10, 0))],
        ),
    )

    assert_flagged(judged, "discharge-meeting-held")


# --- many gaps at once -------------------------------------------------------------------------


def test_a_saturday_discharge_without_plan_or_follow_up_is_flagged_on_every_gap(
    api: Api,
) -> None:
    """Discharged from the acute ward on a Saturday: no plan, no answer from Aalborg, no
    meeting, no follow-up, no coordinator and no word on the relatives."""
    judged = send_stay(
        api,
        stay(
            discharge_at=at(2026, 8, 8, 11, 0),
            citizen=MADS,
            send_plan=False,
            readiness="no answer",
            changes=[
                without_appointment("follow-up"),
                without_appointment("discharge-meeting"),
                without_team_role("coordinator"),
                without("Consent"),
            ],
        ),
    )

    assert judged.preflight is None
    assert_flagged(
        judged,
        "no-weekend-discharge",
        "discharge-plan-shared-early",
        "municipality-ready",
        "follow-up-booked",
        "coordinator-named",
        "discharge-meeting-held",
        "relatives-consent-recorded",
    )
    severities = [
        issue["severity"]
        for entry in judged.handover_ack["entry"]
        if entry["resource"]["resourceType"] == "OperationOutcome"
        for issue in entry["resource"]["issue"]
        if issue["code"] == "business-rule"
    ]
    assert sorted(severities) == ["error"] * 4 + ["warning"] * 3
