"""Checklist files: the defaults, refusal of broken files, versions and the choice by pathway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from overgang.checklist import (
    ChecklistFileError,
    check_file,
    default_checklist_dir,
    format_table,
    load_checklists,
    read_checklist_file,
    schema_path,
)
from overgang.domain import content

DEFAULTS = default_checklist_dir()
ADULT_FILE = DEFAULTS / "psychiatry-adult.v1.yaml"
CHILD_FILE = DEFAULTS / "psychiatry-child-youth.v1.yaml"

# checklist.md, in its order.
CHECKLIST_MD = [
    ("municipality-notified-at-admission", "required"),
    ("discharge-plan-shared-early", "required"),
    ("no-weekend-discharge", "required"),
    ("udskrivningsaftale", "required"),
    ("agreed-actions-complete", "required"),
    ("medication-list", "required"),
    ("follow-up-booked", "required"),
    ("hospital-contact", "required"),
    ("municipality-ready", "required"),
    ("housing-arranged", "required"),
    ("coercion-handover", "required"),
    ("coordinator-named", "recommended"),
    ("discharge-meeting-held", "recommended"),
    ("relatives-consent-recorded", "recommended"),
    ("dual-diagnosis-kip", "recommended"),
    ("jobcentre-included", "recommended"),
]


def adult_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ADULT_FILE.read_text(encoding="utf-8"))
    return data


def write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- the defaults -------------------------------------------------------------------------------


@pytest.mark.parametrize(("pathway", "lead"), [("adult", 2), ("child-youth", 8)])
def test_the_default_files_hold_every_item_of_checklist_md(pathway: str, lead: int) -> None:
    definition = load_checklists(DEFAULTS).for_pathway(pathway)

    assert definition.id == f"psychiatry-{pathway}"
    assert definition.version == "1"
    assert [(i.id, i.severity) for i in definition.items] == CHECKLIST_MD
    assert all(i.title_da and i.title_en and i.explanation for i in definition.items)
    assert definition.item("discharge-plan-shared-early").parameters["lead_working_days"] == lead
    assert definition.item("follow-up-booked").parameters["follow_up_days"] == 30
    assert definition.item("dual-diagnosis-kip").parameters["review_months"] == 6
    assert definition.calendar.extra_closed_days == ()


def test_the_default_files_pass_the_file_check() -> None:
    assert check_file(ADULT_FILE) == []
    assert check_file(CHILD_FILE) == []


def test_the_schema_names_the_codes_the_domain_defines() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    parameters = schema["$defs"]["parameters"]

    def enum(rule: str, name: str) -> set[str]:
        return set(parameters[rule]["properties"][name]["items"]["enum"])

    assert enum("active-plan", "plan_types") == content.PLAN_TYPES
    assert enum("follow-up-within", "appointment_types") == content.APPOINTMENT_TYPES
    assert enum("activity-responsible", "responsible") == content.RESPONSIBLE_CODES
    assert enum("housing-arranged", "unarranged_destinations") == content.DESTINATIONS
    assert enum("relatives-consent", "decisions") == content.CONSENT_DECISIONS
    assert set(parameters["handover-note"]["properties"]["category"]["enum"]) == (
        content.NOTE_CATEGORIES
    )
    assert set(parameters["contact-named"]["properties"]["role"]["enum"]) == (
        content.CARE_TEAM_ROLES
    )
    condition = schema["$defs"]["condition"]["allOf"][1]["then"]["properties"]
    assert set(condition["codes"]["items"]["enum"]) == content.MUNICIPAL_SUPPORT_CODES


def test_the_table_lists_every_item_with_its_danish_title() -> None:
    definition = read_checklist_file(ADULT_FILE)

    table = format_table(definition)

    lines = table.splitlines()
    assert lines[0] == "psychiatry-adult version 1 (adult): Overgangstjekliste, voksenpsykiatri"
    assert lines[2].split() == ["id", "severity", "applies", "when", "title", "(da)"]
    assert len(lines) == 4 + len(definition.items)
    assert "municipal support sel-part-v or will-not-seek-help" in table
    assert "DF10-DF19 with another DF diagnosis or municipal support substance-treatment" in table
    for item in definition.items:
        assert f"{item.id} " in table
        assert item.title_da in table


# --- broken files ----------------------------------------------------------------------------------


def broken(change: str) -> dict[str, Any]:
    data = adult_data()
    items = data["items"]
    if change == "severity":
        items[6]["severity"] = "urgent"
    elif change == "title":
        del items[6]["title_da"]
    elif change == "rule":
        items[6]["rule"] = "crystal-ball"
    elif change == "duplicate":
        items[7]["id"] = "follow-up-booked"
    elif change == "parameter":
        items[6]["parameters"]["follow_up_days"] = "thirty"
    elif change == "unknown-parameter":
        items[6]["parameters"]["grace_days"] = 2
    elif change == "missing-parameters":
        del items[6]["parameters"]
    elif change == "condition":
        items[6]["applies_when"] = [{"kind": "full-moon"}]
    elif change == "code":
        items[6]["parameters"]["appointment_types"] = ["follow-up", "tea-party"]
    return data


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("severity", "severity: 'urgent' is not one of ['required', 'recommended']"),
        ("title", "'title_da' is a required property"),
        ("rule", "rule: 'crystal-ball' is not one of"),
        ("parameter", "parameters.follow_up_days: 'thirty' is not of type 'integer'"),
        ("unknown-parameter", "parameters: Additional properties are not allowed ('grace_days'"),
        ("missing-parameters", "'parameters' is a required property"),
        ("condition", "applies_when[0].kind: 'full-moon' is not one of"),
        ("code", "parameters.appointment_types[1]: 'tea-party' is not one of"),
    ],
)
def test_a_broken_file_is_refused_naming_file_item_and_problem(
    tmp_path: Path, change: str, problem: str
) -> None:
    path = write(tmp_path, "psychiatry-adult.v2.yaml", broken(change))

    with pytest.raises(ChecklistFileError) as refused:
        read_checklist_file(path)

    assert refused.value.path == path
    [message] = refused.value.problems
    assert message.startswith("psychiatry-adult.v2.yaml: item 'follow-up-booked' (items[6]): ")
    assert problem in message
    assert check_file(path) == [message]


def test_a_duplicate_item_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.yaml", broken("duplicate"))

    assert check_file(path) == [
        "dup.yaml: item 'follow-up-booked' (items[7]): duplicate id, also items[6]"
    ]


def test_an_item_without_an_id_is_named_by_its_index(tmp_path: Path) -> None:
    data = adult_data()
    del data["items"][3]["id"]
    path = write(tmp_path, "no-id.yaml", data)

    assert check_file(path) == ["no-id.yaml: item items[3]: 'id' is a required property"]


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    data = broken("severity")
    data["items"][2]["severity"] = "critical"
    data["pathway"] = "elderly"
    path = write(tmp_path, "many.yaml", data)

    problems = check_file(path)

    assert [p.split(": ")[1] for p in problems] == [
        "item 'no-weekend-discharge' (items[2])",
        "item 'follow-up-booked' (items[6])",
        "pathway",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id: [unclosed", "bad.yaml: not valid YAML/JSON"),
        ("- just\n- a list\n", "bad.yaml: ['just', 'a list'] is not of type 'object'"),
    ],
)
def test_a_file_that_is_not_a_checklist_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")

    [message] = check_file(path)

    assert message.startswith(problem)


def test_extra_closed_days_are_read_and_checked(tmp_path: Path) -> None:
    data = adult_data()
    data["calendar"]["extra_closed_days"] = ["12-24", "12-31", "2026-05-15"]
    assert read_checklist_file(write(tmp_path, "ok.yaml", data)).calendar.extra_closed_days == (
        "12-24",
        "12-31",
        "2026-05-15",
    )

    data["calendar"]["extra_closed_days"] = ["02-30"]
    [problem] = check_file(write(tmp_path, "bad.yaml", data))
    assert problem.startswith("bad.yaml: calendar.extra_closed_days: ")


def test_an_unquoted_yaml_date_is_read_as_the_date_it_names(tmp_path: Path) -> None:
    path = tmp_path / "dates.yaml"
    text = ADULT_FILE.read_text(encoding="utf-8").replace(
        "extra_closed_days: []", "extra_closed_days: [2026-12-24]"
    )
    path.write_text(text, encoding="utf-8")

    assert read_checklist_file(path).calendar.extra_closed_days == ("2026-12-24",)


def test_a_checklist_file_may_be_json(tmp_path: Path) -> None:
    path = tmp_path / "adult.json"
    path.write_text(json.dumps(adult_data()), encoding="utf-8")

    assert read_checklist_file(path).items == read_checklist_file(ADULT_FILE).items


# --- a directory of versions -------------------------------------------------------------------------


def versions_dir(tmp_path: Path, *versions: str) -> Path:
    for version in versions:
        data = adult_data()
        data["version"] = version
        data["items"][1]["parameters"]["lead_working_days"] = int(version.split(".")[0])
        write(tmp_path, f"psychiatry-adult.v{version}.yaml", data)
    write(tmp_path, CHILD_FILE.name, yaml.safe_load(CHILD_FILE.read_text(encoding="utf-8")))
    return tmp_path


def test_the_highest_version_is_active_and_older_ones_stay_retrievable(tmp_path: Path) -> None:
    catalog = load_checklists(versions_dir(tmp_path, "1", "2", "10", "9.1"))

    active = catalog.for_pathway("adult")
    assert (active.id, active.version) == ("psychiatry-adult", "10")
    assert active.item("discharge-plan-shared-early").parameters["lead_working_days"] == 10
    assert catalog.versions("psychiatry-adult") == ("1", "2", "9.1", "10")
    old = catalog.get("psychiatry-adult", "2")
    assert old.item("discharge-plan-shared-early").parameters["lead_working_days"] == 2
    assert catalog.for_pathway("child-youth").id == "psychiatry-child-youth"
    assert [d.id for d in catalog.active()] == ["psychiatry-adult", "psychiatry-child-youth"]
    with pytest.raises(KeyError):
        catalog.get("psychiatry-adult", "3")


def test_a_version_in_two_files_is_refused(tmp_path: Path) -> None:
    versions_dir(tmp_path, "1")
    write(tmp_path, "copy.yaml", adult_data())

    with pytest.raises(ChecklistFileError, match="version 1 is also in"):
        load_checklists(tmp_path)


def test_two_checklists_for_one_pathway_are_refused(tmp_path: Path) -> None:
    versions_dir(tmp_path, "1")
    data = adult_data()
    data["id"] = "psychiatry-adult-region-h"
    write(tmp_path, "region-h.yaml", data)

    with pytest.raises(ChecklistFileError, match="several active checklists for adult"):
        load_checklists(tmp_path)


def test_every_pathway_needs_a_checklist(tmp_path: Path) -> None:
    write(tmp_path, ADULT_FILE.name, adult_data())

    with pytest.raises(ChecklistFileError, match="no checklist for pathway child-youth"):
        load_checklists(tmp_path)
    assert load_checklists(tmp_path, require_pathways=()).for_pathway("adult").version == "1"


def test_a_directory_with_a_broken_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    versions_dir(tmp_path, "1")
    write(tmp_path, "psychiatry-adult.v2.yaml", {**broken("severity"), "version": "2"})

    with pytest.raises(ChecklistFileError) as refused:
        load_checklists(tmp_path)

    assert refused.value.problems[0].startswith(
        "psychiatry-adult.v2.yaml: item 'follow-up-booked' (items[6]): severity:"
    )


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChecklistFileError, match="not a directory"):
        load_checklists(tmp_path / "nowhere")


def test_files_other_than_checklists_are_ignored(tmp_path: Path) -> None:
    versions_dir(tmp_path, "1")
    (tmp_path / "README.md").write_text("# our checklists\n", encoding="utf-8")

    assert len(load_checklists(tmp_path).definitions) == 2
