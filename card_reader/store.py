"""Where results go: a database of every reading and every staff decision, and JSON-lines files.

The database (SQLAlchemy; SQLite by default, PostgreSQL by URL) is append-only: a card read again
after a template change gets a new row, a staff decision is a row of its own, and nothing is ever
overwritten. The schema is created and migrated by Alembic (``card_reader/migrations``) when a store
is opened. Rows hold protected health information (the result JSON, member IDs); log lines never do.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional, TextIO, Union

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, create_engine, func, insert, select, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from .errors import CardNotStored, ConfigError, InvalidDecision, StoreUnreachable
from .models import CardFailure, CardResult, Severity

log = logging.getLogger(__name__)

Outcome = Union[CardResult, CardFailure]

DB_ENV = "CARD_READER_DB"
DATA_DIR_ENV = "CARD_READER_DATA_DIR"

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("source", Text, nullable=False),
    Column("templates_version", String(64), nullable=False),
    Column("engine_version", Text, nullable=False),
    Column("cards_read", Integer, nullable=False, default=0),
    Column("cards_skipped", Integer, nullable=False, default=0),
)

results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True),
    Column("card_id", String(255), nullable=False, index=True),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("input_fingerprint", String(64), nullable=False),
    Column("templates_version", String(64), nullable=False),
    Column("engine_version", Text, nullable=False),
    Column("error_code", String(64)),
    Column("payer_id", String(64)),
    Column("member_id", String(64)),
    Column("group_number", String(64)),
    Column("needs_review", Boolean, nullable=False),
    Column("severity", Integer, nullable=False),  # SEVERITY_RANK of the worst flag: how urgent a review is
    Column("outcome_json", Text, nullable=False),
    # one result per card per input and versions: a resumed batch never counts a card twice
    UniqueConstraint("card_id", "input_fingerprint", "templates_version", "engine_version",
                     name="uq_results_card_input_versions"),
)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("result_id", Integer, ForeignKey("results.id"), nullable=False, index=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(255), nullable=False),
    Column("action", String(16), nullable=False),  # accept | correct
    Column("corrections_json", Text, nullable=False, default="{}"),
    Column("note", Text, nullable=False, default=""),
)

SEVERITY_RANK = {None: 0, Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
FAILED_RANK = 3  # a card that could not be read at all comes first in the review queue
SEVERITY_NAMES = {0: "info", 1: "warning", 2: "error", FAILED_RANK: "failed"}


class _ClosedOnExit(AbstractContextManager):
    """A store used in a ``with`` block is closed when the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class StoredResult:
    """One row of ``results``, with the outcome it holds."""

    id: int
    card_id: str
    run_id: Optional[int]
    created_at: datetime
    input_fingerprint: str
    templates_version: str
    engine_version: str
    needs_review: bool
    severity: int
    outcome: Outcome

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]

    @property
    def summary(self) -> tuple:
        """What operations compare between two runs: payer, IDs and the review decision."""
        if isinstance(self.outcome, CardFailure):
            return ("failed", self.outcome.error)
        fields = self.outcome.fields
        return (self.outcome.payer.id, *(fields[f].value if f in fields else None
                                         for f in ("member_id", "group_number")), self.needs_review)


@dataclass(frozen=True)
class Decision:
    """A staff decision on one result of a card."""

    id: int
    card_id: str
    result_id: int
    decided_at: datetime
    decided_by: str
    action: str
    corrections: dict[str, str]
    note: str


def default_url() -> str:
    """``CARD_READER_DB`` if set, else a SQLite file under the data directory (``CARD_READER_DATA_DIR``,
    else the user's data directory), created on first use."""
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    from platformdirs import user_data_dir

    directory = Path(os.environ.get(DATA_DIR_ENV) or user_data_dir("card-reader", appauthor=False))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'card-reader.db'}"


class ResultStore(_ClosedOnExit):
    """The results database, migrated to the newest schema when opened."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = _with_driver(url or default_url())
        try:
            self.engine: Engine = create_engine(self.url, future=True)
            migrate(self.engine)
        except (OperationalError, ProgrammingError) as exc:
            raise StoreUnreachable(f"the results store at {_masked_url(self.url)} is not reachable: "
                             f"{type(exc.orig).__name__ if getattr(exc, 'orig', None) else type(exc).__name__}") from exc
        except ImportError as exc:
            raise ConfigError(f"no database driver for {_masked_url(self.url)}: {exc}") from exc

    def close(self) -> None:
        self.engine.dispose()

    # --- runs and results -------------------------------------------------------------------------
    def start_run(self, source: str, templates_version: str, engine_version: str) -> int:
        with self.engine.begin() as db:
            return db.execute(insert(runs).values(started_at=_now(), source=source, templates_version=templates_version,
                                                  engine_version=engine_version, cards_read=0,
                                                  cards_skipped=0)).inserted_primary_key[0]

    def finish_run(self, run_id: int, *, read: int, skipped: int) -> None:
        with self.engine.begin() as db:
            db.execute(update(runs).where(runs.c.id == run_id).values(finished_at=_now(), cards_read=read,
                                                                      cards_skipped=skipped))

    def add(self, card_id: str, outcome: Outcome, *, input_fingerprint: str, templates_version: str,
            engine_version: str, run_id: Optional[int] = None) -> Optional[int]:
        """Record one card's outcome in its own transaction; None when this card, input and versions
        already have a result (a second worker or a resumed batch got there first)."""
        failed = isinstance(outcome, CardFailure)
        fields = {} if failed else outcome.fields
        row = dict(card_id=card_id, run_id=run_id, created_at=_now(), input_fingerprint=input_fingerprint,
                   templates_version=templates_version, engine_version=engine_version,
                   error_code=outcome.error if failed else None,
                   payer_id=None if failed else outcome.payer.id,
                   member_id=fields["member_id"].value if "member_id" in fields else None,
                   group_number=fields["group_number"].value if "group_number" in fields else None,
                   needs_review=True if failed else outcome.needs_review,
                   severity=FAILED_RANK if failed else max((SEVERITY_RANK[f.severity] for f in outcome.flags),
                                                          default=0),
                   outcome_json=outcome.model_dump_json())
        try:
            with self.engine.begin() as db:
                return db.execute(insert(results).values(**row)).inserted_primary_key[0]
        except IntegrityError:
            log.info("a result for this card, input and versions is already stored")
            return None

    def current_keys(self, templates_version: str, engine_version: str) -> set[tuple[str, str]]:
        """(card id, input fingerprint) of every result made with these versions: what is up to date."""
        with self.engine.connect() as db:
            rows = db.execute(select(results.c.card_id, results.c.input_fingerprint).where(
                results.c.templates_version == templates_version, results.c.engine_version == engine_version))
            return {(r.card_id, r.input_fingerprint) for r in rows}

    def history(self, card_id: str) -> list[StoredResult]:
        """Every result of a card, oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(select(results).where(results.c.card_id == card_id).order_by(results.c.id))
            return [_stored(r) for r in rows]

    def find(self, card_id: str) -> Optional[StoredResult]:
        """The card's latest result, or None when it has none."""
        with self.engine.connect() as db:
            row = db.execute(select(results).where(results.c.card_id == card_id)
                             .order_by(results.c.id.desc()).limit(1)).first()
            return _stored(row) if row else None

    def latest(self, card_id: str) -> StoredResult:
        found = self.find(card_id)
        if found is None:
            raise CardNotStored(f"no result stored for card {card_id!r}")
        return found

    def ping(self) -> None:
        """Raise ``StoreUnreachable`` unless the database answers."""
        try:
            with self.engine.connect() as db:
                db.execute(select(1))
        except OperationalError as exc:
            raise StoreUnreachable(f"the results store at {_masked_url(self.url)} does not answer") from exc

    def count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(results)).scalar_one()

    def changed_since_previous(self, run_id: int) -> list[tuple[StoredResult, Optional[StoredResult]]]:
        """The cards this run read whose payer, IDs or review decision differ from their previous result
        (or that had none): the report operations need after a template change."""
        with self.engine.connect() as db:
            card_ids = [r.card_id for r in db.execute(
                select(results.c.card_id).where(results.c.run_id == run_id).order_by(results.c.card_id))]
        changed = []
        for card_id in card_ids:
            history = self.history(card_id)
            index = next(i for i, r in enumerate(history) if r.run_id == run_id)
            new, previous = history[index], history[index - 1] if index else None
            if previous is None or previous.summary != new.summary:
                changed.append((new, previous))
        return changed

    # --- review queue ---------------------------------------------------------------------------------
    def review_queue(self) -> list[StoredResult]:
        """Each card's latest result that needs review and has no staff decision yet, most severe first,
        then oldest first."""
        with self.engine.connect() as db:
            latest = select(func.max(results.c.id)).group_by(results.c.card_id).scalar_subquery()
            decided = select(decisions.c.result_id)
            rows = db.execute(select(results).where(results.c.id.in_(latest), results.c.needs_review.is_(True),
                                                    results.c.id.not_in(decided))
                              .order_by(results.c.severity.desc(), results.c.created_at, results.c.id))
            return [_stored(r) for r in rows]

    def decide(self, card_id: str, *, decided_by: str, action: str, corrections: Optional[dict[str, str]] = None,
               note: str = "") -> Decision:
        """Record a staff decision on the card's latest result; earlier decisions stay as they were."""
        if action not in ("accept", "correct"):
            raise InvalidDecision(f"a decision is 'accept' or 'correct', not {action!r}")
        if action == "correct" and not corrections:
            raise InvalidDecision("a correction names at least one field=value")
        result = self.latest(card_id)
        row = dict(result_id=result.id, decided_at=_now(), decided_by=decided_by, action=action,
                   corrections_json=json.dumps(corrections or {}, sort_keys=True), note=note)
        with self.engine.begin() as db:
            decision_id = db.execute(insert(decisions).values(**row)).inserted_primary_key[0]
        log.info("staff decision %s recorded on result %d", action, result.id)
        return Decision(decision_id, card_id, result.id, row["decided_at"], decided_by, action, corrections or {},
                        note)

    def decisions(self, card_id: str) -> list[Decision]:
        with self.engine.connect() as db:
            rows = db.execute(select(decisions).join(results, results.c.id == decisions.c.result_id)
                              .where(results.c.card_id == card_id).order_by(decisions.c.id))
            return [Decision(r.id, card_id, r.result_id, r.decided_at, r.decided_by, r.action,
                             json.loads(r.corrections_json),
                             r.note) for r in rows]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (creating it in an empty database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _stored(row) -> StoredResult:
    data = json.loads(row.outcome_json)
    outcome = CardFailure.model_validate(data) if row.error_code else CardResult.model_validate(data)
    return StoredResult(row.id, row.card_id, row.run_id, row.created_at, row.input_fingerprint,
                        row.templates_version, row.engine_version, row.needs_review, row.severity, outcome)


def _with_driver(url: str) -> str:
    """``postgresql://`` (and Heroku-style ``postgres://``) through psycopg 3, the driver installed."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _masked_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown by its scheme only
        return url.split(":", 1)[0] + ":..."


class JsonlStore(_ClosedOnExit):
    """Appends one JSON line per card and flushes it, so a killed run loses at most the card in hand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = self.path.open("w", encoding="utf-8")

    def write(self, outcome: Outcome) -> None:
        self._file.write(outcome.model_dump_json() + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_outcomes(path: Path) -> Iterator[Outcome]:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        yield CardFailure.model_validate(data) if "error" in data else CardResult.model_validate(data)
