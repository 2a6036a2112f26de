"""docs/operations.md documents every setting, with its default as Settings has it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from overgang.config import Settings

MANUAL = Path(__file__).parents[2] / "docs" / "operations.md"
COMPOSE = Path(__file__).parents[2] / "deploy" / "compose.yaml"
ROW = re.compile(r"^\| `OVERGANG_([A-Z0-9_]+)` \| ([^|]*) \|", re.MULTILINE)


def documented() -> dict[str, str]:
    return {name.lower(): default.strip() for name, default in ROW.findall(MANUAL.read_text())}


def shown_default(name: str) -> str:
    """The default as the manual's table shows it."""
    default = Settings.model_fields[name].default
    return "none" if default is None else f"`{default}`"


def test_every_setting_is_in_the_manual_and_nothing_else() -> None:
    assert set(documented()) == set(Settings.model_fields)


@pytest.mark.parametrize("name", sorted(set(Settings.model_fields) - {"database_url"}))
def test_the_manual_gives_each_default(name: str) -> None:
    assert documented()[name].startswith(shown_default(name)), (
        f"docs/operations.md: OVERGANG_{name.upper()} should default to {shown_default(name)}"
    )


def test_compose_migrates_once_and_runs_two_replicas_and_a_worker() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]

    assert services["migrate"]["entrypoint"] == ["overgang", "db", "upgrade"]
    assert services["api"]["deploy"]["replicas"] == 2
    assert "--no-worker" in services["api"]["entrypoint"]
    assert services["worker"]["entrypoint"] == ["overgang", "worker"]
    for name in ("api", "worker"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
