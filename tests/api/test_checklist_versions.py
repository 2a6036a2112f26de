"""A new checklist version judges new evaluations; old results keep the version that judged them."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from overgang.api.app import create_app
from overgang.checklist import default_checklist_dir
from overgang.config import Settings
from overgang.storage.db import create_db_engine, session_factory, transaction
from overgang.storage.models import ChecklistEvaluation
from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, example


def test_a_new_version_applies_to_new_evaluations_only(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    api.send(example("01-admission-STIN.json"))
    api.send(example("02-discharge-plan.json"))
    directory = tmp_path / "checklists"
    shutil.copytree(default_checklist_dir(), directory)
    v1 = (directory / "psychiatry-adult.v1.yaml").read_text(encoding="utf-8")
    (directory / "psychiatry-adult.v2.yaml").write_text(
        v1.replace('version: "1"', 'version: "2"').replace(
            "lead_working_days: 2", "lead_working_days: 10"
        ),
        encoding="utf-8",
    )
    upgraded = settings.model_copy(update={"checklist_dir": directory})

    with TestClient(create_app(upgraded)) as client:
        answer = client.post(
            f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness",
            json={"ready": True, "ready_from": "2026-03-18"},
            headers=api.auth(api.tokens.aalborg),
        )

    assert answer.json()["version"] == "2"
    # Under v2 the plan (7 working days ahead) is no longer early enough.
    assert "discharge-plan-shared-early" in {
        i["id"] for i in answer.json()["items"] if i["status"] == "missing"
    }
    engine = create_db_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        versions = session.scalars(
            select(ChecklistEvaluation.checklist_version).order_by(ChecklistEvaluation.evaluated_at)
        ).all()
    engine.dispose()
    assert list(versions) == ["1", "2"]
    plan_item = next(
        item for item in api.inbox().json()["items"] if item["kind"] == "discharge-plan"
    )
    assert plan_item["checklist"]["version"] == "1"
