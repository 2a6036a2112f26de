"""The board's figures, for the page and the CSV export alike: read the scope's episodes once,
compute every figure of figures.md from them. No personal data leaves here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain.retention import citizen_key as keyed
from overgang.domain.visibility import Scope
from overgang.figures.compute import (
    Discharge,
    FigureRow,
    Grouping,
    PlanFacts,
    discharges,
    figure_rows,
    plans,
)
from overgang.figures.definitions import FIGURES
from overgang.figures.export import to_csv
from overgang.storage import figures as figures_store

log = logging.getLogger("overgang.figures")
Version = tuple[object, ...]  # storage.figures.data_version and today's date


@dataclass(frozen=True)
class FigureFacts:
    """What every figure is counted from: the scope's discharges and plans."""

    discharges: Sequence[Discharge]
    plans: Sequence[PlanFacts]
    today: date


def load_facts(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    today: date,
    citizen_key: bytes | None = None,
) -> FigureFacts:
    """Read the scope's episodes once. With the retention key, a citizen's episodes before and
    after pseudonymisation are one citizen's; without it, the CPR number links them."""
    with sessions() as session:
        rows = figures_store.episode_rows(
            session=session, scope=scope, citizen=_citizen_namer(citizen_key)
        )
    return FigureFacts(discharges=discharges(rows), plans=plans(rows, today=today), today=today)


def _citizen_namer(key: bytes | None) -> Callable[[str | None, str | None], str | None]:
    def name(cpr: str | None, pseudonym: str | None) -> str | None:
        if key is not None and cpr is not None:
            return keyed(cpr, key=key)
        return cpr or pseudonym

    return name


def figure(facts: FigureFacts, figure_id: str, *, by: Grouping = "region") -> list[FigureRow]:
    """One figure per month of its index event, for the whole scope or per municipality, ward,
    or municipality and ward. Raises KeyError for an id figures.md does not define."""
    return figure_rows(
        figure_id, discharged=facts.discharges, planned=facts.plans, grouping=by, today=facts.today
    )


def board_figures(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    today: date,
    by: Grouping = "region",
    citizen_key: bytes | None = None,
) -> dict[str, list[FigureRow]]:
    """Every figure of figures.md, by id, from one read of the scope's episodes."""
    facts = load_facts(sessions=sessions, scope=scope, today=today, citizen_key=citizen_key)
    return {figure_id: figure(facts, figure_id, by=by) for figure_id in FIGURES}


def figure_table(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    figure_id: str,
    today: date,
    by: Grouping = "region",
    citizen_key: bytes | None = None,
) -> list[FigureRow]:
    """One figure, per month and the grouping asked for."""
    if figure_id not in FIGURES:
        raise KeyError(figure_id)
    facts = load_facts(sessions=sessions, scope=scope, today=today, citizen_key=citizen_key)
    return figure(facts, figure_id, by=by)


def figure_csv(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    figure_id: str,
    today: date,
    citizen_key: bytes | None = None,
) -> str:
    """One figure as CSV: one row per month x municipality x ward (figures.md), same numbers."""
    rows = figure_table(
        sessions=sessions,
        scope=scope,
        figure_id=figure_id,
        today=today,
        by="municipality-ward",
        citizen_key=citizen_key,
    )
    return to_csv(rows)


class FigureCache:
    """Every figure computed at most once per version of the data, for the whole region, and
    shared by every signed-in person: figures hold no personal data (profile §9 opens them to
    all). Each use first reads the version from the database (`data_version`), so a message
    any process took in is counted on the very next page; processes share nothing but the
    database. A `FigureWarmer` computes the newest version in the background, so that a viewer
    seldom finds it missing."""

    def __init__(self, *, citizen_key: bytes | None = None) -> None:
        self._citizen_key = citizen_key
        self._lock = threading.Lock()  # one computation at a time; the others wait and share it
        self._version: Version | None = None
        self._facts: FigureFacts | None = None
        self._rows: dict[tuple[str, Grouping], list[FigureRow]] = {}
        self._csv: dict[str, tuple[list[FigureRow], str]] = {}  # with the rows it was made of
        self._last_viewed: float | None = None  # time.monotonic() of the last page's use

    def rows(
        self, *, sessions: sessionmaker[Session], figure_id: str, by: Grouping, today: date
    ) -> list[FigureRow]:
        """One figure for the region, per month and grouping. KeyError for an unknown id."""
        return self.many(sessions=sessions, figure_ids=(figure_id,), by=by, today=today)[figure_id]

    def many(
        self,
        *,
        sessions: sessionmaker[Session],
        figure_ids: Sequence[str],
        by: Grouping,
        today: date,
    ) -> dict[str, list[FigureRow]]:
        """Several figures, by id, from one version of the data, for a page."""
        self._last_viewed = time.monotonic()
        return self.compute(sessions=sessions, figure_ids=figure_ids, by=by, today=today)

    def compute(
        self,
        *,
        sessions: sessionmaker[Session],
        figure_ids: Sequence[str],
        by: Grouping,
        today: date,
    ) -> dict[str, list[FigureRow]]:
        """As `many`, without counting as a view (the warmer's way in)."""
        unknown = [figure_id for figure_id in figure_ids if figure_id not in FIGURES]
        if unknown:
            raise KeyError(unknown[0])
        # The version is read before the facts: facts newer than their version only cost a
        # second computation, never a stale figure.
        version = current_version(sessions=sessions, today=today)
        with self._lock:
            facts = self._facts_of(version, sessions=sessions, today=today)
            for figure_id in figure_ids:
                if (figure_id, by) not in self._rows:
                    self._rows[(figure_id, by)] = figure(facts, figure_id, by=by)
            return {figure_id: self._rows[(figure_id, by)] for figure_id in figure_ids}

    def _facts_of(
        self, version: Version, *, sessions: sessionmaker[Session], today: date
    ) -> FigureFacts:
        """The facts of `version`, read afresh unless they are the ones kept (under the lock)."""
        if version != self._version or self._facts is None:
            self._facts = load_facts(
                sessions=sessions,
                scope=Scope.everything(),
                today=today,
                citizen_key=self._citizen_key,
            )
            self._version, self._rows = version, {}
        return self._facts

    def viewed_within(self, seconds: float) -> bool:
        """Whether a page used the figures in the last `seconds`."""
        viewed = self._last_viewed
        return viewed is not None and time.monotonic() - viewed <= seconds

    @property
    def version(self) -> Version | None:
        """The version of the data the kept figures were computed from (None: none yet)."""
        return self._version

    def cached(self, figure_id: str, by: Grouping) -> list[FigureRow] | None:
        """The kept rows of one figure and grouping, without reading or computing anything."""
        return self._rows.get((figure_id, by))

    def csv(self, *, sessions: sessionmaker[Session], figure_id: str, today: date) -> str:
        """The figure as `figure_csv` writes it, written once per version of its rows."""
        rows = self.rows(
            sessions=sessions, figure_id=figure_id, by="municipality-ward", today=today
        )
        with self._lock:
            made = self._csv.get(figure_id)
            # New data gives new row lists: text made from another list is out of date.
            if made is None or made[0] is not rows:
                made = (rows, to_csv(rows))
                self._csv[figure_id] = made
            return made[1]


def current_version(*, sessions: sessionmaker[Session], today: date) -> Version:
    """The version of the data a figure computed now would come from (one cheap query)."""
    with sessions() as session:
        return (*figures_store.data_version(session=session), today)


class FigureWarmer:
    """Keeps a `FigureCache` computed for the newest data, off the request path: every
    `every_seconds` it reads the version and, when it has changed, computes every figure for
    the region (the overview's and each figure page's first view) in a thread of its own. A
    page still reads the version itself, so it never shows a stale figure; it only waits when
    it arrives within seconds of new data, before the warmer has caught up.

    Only while the figures are in use (a page used them within `in_use_seconds`): a server that
    takes in messages with nobody looking at the figures spends nothing on them."""

    def __init__(
        self,
        *,
        cache: FigureCache,
        sessions: sessionmaker[Session],
        today: Callable[[], date],
        every_seconds: float,
        in_use_seconds: float,
    ) -> None:
        self.cache = cache
        self.in_use_seconds = in_use_seconds
        self.sessions = sessions
        self.today = today
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="overgang-figures", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop and wait for a computation under way (it holds no transaction open)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def warm(self) -> bool:
        """Compute the figures if they are in use and the data has changed since they were
        computed; True if it did."""
        if not self.cache.viewed_within(self.in_use_seconds):
            return False
        today = self.today()
        if current_version(sessions=self.sessions, today=today) == self.cache.version:
            return False
        self.cache.compute(
            sessions=self.sessions, figure_ids=list(FIGURES), by="region", today=today
        )
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.warm()
            except Exception as error:
                # A database restarting: the pages compute for themselves meanwhile. The type
                # only, as the delivery worker logs it: an error's text can quote SQL values.
                log.warning(
                    "computing the figures failed; trying again",
                    extra={"error_type": type(error).__name__},
                )
            self._stop.wait(self.every_seconds)


def group_names(*, sessions: sessionmaker[Session]) -> dict[str, str]:
    """Names for the codes a figure is grouped by: municipality codes and SOR codes."""
    with sessions() as session:
        return figures_store.group_names(session=session)
