"""Figures from a run: latency percentiles, end-to-end latency to the webhook, the markdown table."""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.clients import NOT_SENT
from bench.cpu import CpuUse
from bench.load import Run
from bench.receiver import Arrival


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


ERROR_NAMES: dict[int | None, str] = {None: "no answer", NOT_SENT: "no free connection"}


@dataclass(frozen=True)
class Figures:
    """One row's measurements; times in milliseconds."""

    label: str  # "100/s" or "max, 16 conns"
    sent: int
    accepted_per_second: float
    p50: float
    p99: float
    max: float
    errors: int
    lag_p99: float  # how late the generator started requests
    cpu: CpuUse  # from the first request to the last webhook
    e2e_p50: float = math.nan
    e2e_p99: float = math.nan
    delivered: int | None = None  # webhooks matched to an accepted message; None: no receiver
    redelivered: int = 0  # webhooks for a message already received
    error_statuses: str = ""  # "500×2, no answer×3, no free connection×9"
    notes: tuple[str, ...] = ()  # what disturbed the run

    @property
    def accepted(self) -> int:
        return self.sent - self.errors

    def cpu_ms_per_message(self, seconds: float) -> float:
        """CPU `seconds` per accepted message, in ms."""
        return seconds * 1000 / max(1, self.accepted)


def figures(
    run: Run,
    *,
    label: str,
    cpu: CpuUse,
    arrivals: list[Arrival] | None,
    notes: tuple[str, ...] = (),
) -> Figures:
    """The row's figures; `arrivals` None when no webhooks were awaited."""
    latencies = [s.latency * 1000 for s in run.samples]
    first: dict[str, float] = {}
    for arrival in arrivals or []:
        first.setdefault(arrival.header_id, arrival.at)
    due = {s.header_id: s.due for s in run.accepted}
    e2e = [(first[h] - due[h]) * 1000 for h in due if h in first]
    return Figures(
        label=label,
        sent=len(run.samples),
        accepted_per_second=run.accepted_per_second,
        p50=percentile(latencies, 0.50),
        p99=percentile(latencies, 0.99),
        max=max(latencies, default=math.nan),
        errors=run.errors,
        lag_p99=percentile([s.lag * 1000 for s in run.samples], 0.99),
        cpu=cpu,
        e2e_p50=percentile(e2e, 0.50),
        e2e_p99=percentile(e2e, 0.99),
        delivered=None if arrivals is None else len(e2e),
        redelivered=len(arrivals or []) - len(first),
        error_statuses=", ".join(
            f"{ERROR_NAMES.get(status, status)}×{count}"
            for status, count in Counter(s.status for s in run.samples if s.status != 200).items()
        ),
        notes=notes,
    )


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


TABLE_HEADER = (
    "| database | offered | accepted/s | p50 ms | p99 ms | max ms | errors "
    "| e2e p50 ms | e2e p99 ms | webhooks | server CPU ms/msg | db CPU ms/msg | machine busy "
    "| ceiling msgs/s | ceiling p50 ms | ceiling p99 ms | ratio to ceiling |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: | ---: | ---: |"
)


def table_row(database: str, measured: Figures, ceiling: Figures | None) -> str:
    """One markdown table row; the ratio is accepted/s over the ceiling's answers/s."""
    ceiling_cells = ["-", "-", "-", "-"]
    if ceiling is not None:
        ratio = measured.accepted_per_second / ceiling.accepted_per_second
        ceiling_cells = [
            f"{ceiling.accepted_per_second:.0f}",
            _ms(ceiling.p50),
            _ms(ceiling.p99),
            f"{ratio:.2f}",
        ]
    cells = [
        database,
        measured.label,
        f"{measured.accepted_per_second:.0f}",
        _ms(measured.p50),
        _ms(measured.p99),
        _ms(measured.max),
        str(measured.errors),
        _ms(measured.e2e_p50),
        _ms(measured.e2e_p99),
        "-" if measured.delivered is None else f"{measured.delivered}/{measured.accepted}",
        f"{measured.cpu_ms_per_message(measured.cpu.server):.1f}",
        f"{measured.cpu_ms_per_message(measured.cpu.postgres):.1f}"
        if measured.cpu.postgres
        else "-",
        f"{measured.cpu.share(measured.cpu.machine):.0%}",
        *ceiling_cells,
    ]
    return "| " + " | ".join(cells) + " |"


def detail_line(database: str, measured: Figures) -> str:
    """What the table leaves out: the generator's own cost and lag, other load on the machine,
    webhooks received twice."""
    cpu = measured.cpu
    return (
        f"- {database} {measured.label}: {measured.sent} sent; generator "
        f"{measured.cpu_ms_per_message(cpu.generator):.2f} ms CPU/request, lag p99 "
        f"{_ms(measured.lag_p99)} ms; receiver {measured.cpu_ms_per_message(cpu.receiver):.2f} "
        f"ms CPU/msg; other processes {cpu.share(cpu.others):.0%} of the machine; "
        f"{measured.redelivered} webhooks received twice"
        + (f"; errors: {measured.error_statuses}" if measured.error_statuses else "")
        + "".join(f"; {note}" for note in measured.notes)
    )


def render(
    args: argparse.Namespace, measured: list[Figures], ceiling: list[Figures], quiet: float
) -> str:
    """The markdown section of one run: set-up, the table, the notes."""
    database = args.database + (
        f" ×{args.server_workers} workers" if args.server_workers > 1 else ""
    )
    if args.server_threads:
        database += f", {args.server_threads} threads"
    if args.senders and not args.no_webhooks:
        database += f", {args.senders} sender process{'es' if args.senders > 1 else ''}"
    if args.server_command:
        database += " (custom server)"
    by_label = {f.label: f for f in ceiling}
    server_stack = ", ".join(
        f"{name} {'yes' if importlib.util.find_spec(name) else 'no'}"
        for name in ("uvloop", "httptools")
    )
    lines = [
        f"### {database}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} cores ({platform.machine()}), Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; uvicorn with "
        f"{server_stack}. {args.duration:g} s per rate; {args.client} client, "
        f"{args.connections} keep-alive connections; latency from each request's due time, "
        f"in ms. The machine was {quiet:.0%} busy just before the runs. Overgang at "
        f"{args.code_version}.",
        "",
        TABLE_HEADER,
        *(table_row(database, f, by_label.get(f.label)) for f in measured),
        "",
        *(detail_line(database, f) for f in measured),
        *(detail_line("ceiling", f) for f in ceiling),
        "",
    ]
    return "\n".join(lines)
