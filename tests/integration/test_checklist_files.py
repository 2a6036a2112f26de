"""Operators validate and deploy new checklist versions; a broken file stops nothing silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from overgang.checklist import default_checklist_dir
from overgang.cli import app as cli

DEFAULTS = default_checklist_dir()
ADULT = DEFAULTS / "psychiatry-adult.v1.yaml"


def test_a_valid_checklist_file_passes_the_check() -> None:
    result = CliRunner().invoke(cli, ["checklist", "check", str(ADULT)])

    assert result.exit_code == 0
    assert "psychiatry-adult v1, 16 items" in result.output


def test_a_broken_file_is_refused_naming_the_file_the_item_and_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "psychiatry-adult.v2.yaml"
    broken.write_text(
        ADULT.read_text(encoding="utf-8")
        .replace('version: "1"', 'version: "2"')
        .replace("severity: recommended", "severity: nice-to-have", 1),
        encoding="utf-8",
    )

    result = CliRunner().invoke(cli, ["checklist", "check", str(broken)])

    assert result.exit_code == 1
    assert "psychiatry-adult.v2.yaml" in result.output
    assert "coordinator-named" in result.output
    assert "nice-to-have" in result.output


def test_show_prints_every_active_item() -> None:
    result = CliRunner().invoke(cli, ["checklist", "show", "--pathway", "child-youth"])

    assert result.exit_code == 0
    assert "psychiatry-child-youth" in result.output
    for item in ("no-weekend-discharge", "discharge-plan-shared-early", "jobcentre-included"):
        assert item in result.output


def test_serve_refuses_to_start_on_a_broken_checklist_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(DEFAULTS, tmp_path / "checklists")
    (tmp_path / "checklists" / "psychiatry-adult.v1.yaml").write_text(
        "id: [unclosed", encoding="utf-8"
    )
    monkeypatch.setenv("OVERGANG_CHECKLIST_DIR", str(tmp_path / "checklists"))
    monkeypatch.setenv("OVERGANG_DATABASE_URL", f"sqlite:///{tmp_path / 'o.db'}")

    result = CliRunner().invoke(cli, ["serve", "--port", "1"])

    assert result.exit_code == 1
    assert "psychiatry-adult.v1.yaml" in result.output
