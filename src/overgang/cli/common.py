"""Helpers shared by the command modules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NoReturn

import typer
from pydantic import ValidationError

from overgang.config import Settings


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
