"""Helpers shared by the command modules."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError

from overgang.config import Settings
from overgang.delivery.secret_keys import new_key


def fail(message: str) -> NoReturn:
    """Print to stderr and exit 1, as every command does on failure."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def load_settings() -> Settings:
    """The settings from OVERGANG_*; a bad value ends the command with one line naming it."""
    try:
        return Settings()
    except ValidationError as error:
        prefix = Settings.model_config.get("env_prefix", "")
        fail(
            "; ".join(
                f"{prefix}{str(problem['loc'][0]).upper()}: "
                + problem["msg"].removeprefix("Value error, ")
                for problem in error.errors()
            )
        )


def parse_since(value: str) -> datetime:
    """An ISO date/datetime, or a duration back from now such as 30m, 24h or 7d."""
    units = {"h": "hours", "d": "days", "m": "minutes"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def use_development_secret_keys() -> None:
    """For the demo and a simulation on their own SQLite file only: when OVERGANG_SECRET_KEYS
    is unset, seal webhook secrets with a key kept beside the database (`<file>.keys`, mode
    0600), so that webhooks work out of the box and the same database opens again. Production
    sets its own keys; PostgreSQL never gets this."""
    settings = load_settings()
    if settings.secret_keys is not None or not settings.database_url.startswith("sqlite:///"):
        return
    path = Path(settings.database_url.removeprefix("sqlite:///") + ".keys")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"dev:{new_key()}\n")
        path.chmod(0o600)
    os.environ["OVERGANG_SECRET_KEYS"] = path.read_text().strip()
