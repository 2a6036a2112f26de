"""`overgang simulate`: a region's psychiatric wards and municipalities, played through the API."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from overgang.cli.common import fail, use_development_secret_keys
from overgang.config import Settings
from overgang.domain.ownership import UnknownRegion, normalise_region
from overgang.simulate.partners import Credentials, register
from overgang.simulate.region import build_region
from overgang.simulate.run import Plan, local_server, run
from overgang.simulate.stays import COPENHAGEN
from overgang.simulate.summary import print_summary
from overgang.storage.db import upgrade_database


def simulate(  # noqa: PLR0917 - typer passes options by keyword
    region: Annotated[str, typer.Option(help="The region: DK-81 (Nordjylland) ... DK-85.")],
    weeks: Annotated[int, typer.Option(min=1, max=520, help="Simulated weeks.")] = 4,
    seed: Annotated[int, typer.Option(help="The same seed gives the same messages.")] = 1,
    end: Annotated[
        str | None,
        typer.Option(help="Last simulated day (ISO date); default today. Never in the future."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Send to this Overgang instead of one on its own database."),
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(help="JSON file of tokens: written by --register-only, read with --base-url."),
    ] = None,
    register_only: Annotated[
        bool,
        typer.Option(help="Register the region's partners in the database, write --credentials."),
    ] = False,
    webhooks: Annotated[
        bool,
        typer.Option(
            "--webhooks/--no-webhooks",
            help="Most municipalities take webhooks on a local receiver (the server must allow "
            "http to loopback: OVERGANG_ALLOW_INSECURE_WEBHOOKS=1); else all pull.",
        ),
    ] = True,
) -> None:
    """Play a region's psychiatric stays over past weeks through the HTTP API: admissions,
    leaves, corrections, plans, discharges and handovers with realistic gaps, and the
    municipalities taking, acknowledging and answering them. Prints a summary."""
    try:
        code = normalise_region(region)
    except UnknownRegion as error:
        fail(str(error))
    plan = Plan(region=build_region(code), seed=seed, weeks=weeks, end=_end(end))
    console = Console(stderr=True)
    if base_url is None:
        use_development_secret_keys()
        settings = _settings()
        upgrade_database(settings.database_url)
        tokens = register(settings, plan.region)
        if register_only:
            if credentials is None:
                fail("--register-only needs --credentials FILE to write the tokens to")
            tokens.save(credentials)
            typer.echo(f"registered {code}'s wards and municipalities; tokens in {credentials}")
            return
        local = settings.model_copy(update={"allow_insecure_webhooks": True, "run_worker": True})
        # The in-process server's own log lines would run through the progress bar.
        logging.getLogger("overgang").setLevel(logging.ERROR)
        with local_server(local) as url:
            _play(plan, url, tokens, webhooks, console)
        return
    if credentials is None or not credentials.exists():
        fail("--base-url needs --credentials FILE (write it with --register-only)")
    tokens = Credentials.load(credentials)
    if tokens.region != code:
        fail(f"{credentials} holds tokens for {tokens.region}, not {code}")
    _play(plan, base_url, tokens, webhooks, console)


def _play(plan: Plan, url: str, tokens: Credentials, webhooks: bool, console: Console) -> None:
    total = sum(1 for stay in plan.stays() for step in stay.steps if step.sent_at <= plan.end)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with (
        httpx.Client(base_url=url, timeout=60) as client,
        Progress(*columns, console=console, transient=True) as progress,
    ):
        task = progress.add_task("simulating", total=total)
        result = run(
            plan,
            client=client,
            credentials=tokens,
            webhooks=webhooks,
            progress=lambda r: progress.update(task, advance=1, description=f"{r.at:%Y-%m-%d}"),
        )
    print_summary(result, end=plan.end, console=Console())


def _end(text: str | None) -> datetime:
    """The end of the window: the start of the given day (or of today), Copenhagen time; a
    fixed point, so that a seed gives the same messages all day."""
    today = datetime.now(COPENHAGEN).date()
    try:
        day = today if text is None else date.fromisoformat(text)
    except ValueError:
        fail("--end takes an ISO date such as 2026-03-01")
    if day > today:
        fail("--end cannot be in the future: Overgang refuses messages from the future")
    return datetime.combine(day, time(0), COPENHAGEN)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        fail(f"a setting is not valid: {error.errors()[0]['loc'][0]}")
