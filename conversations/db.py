"""Engine, sessions and the unit of work. SQLite gets foreign keys and WAL on every connection."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Insert, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from conversations.crypto import Keyring, bind
from conversations.errors import ConfigError

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    """An engine for `url`; a malformed or unsupported URL is a ConfigError."""
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"DATABASE_URL '{_redact(url)}' is not usable ({exc.__class__.__name__}): use "
            "sqlite:///ypsi.db or postgresql+psycopg://user@host/dbname"
        ) from None
    if engine.dialect.name == "sqlite":
        _create_private(engine.url.database)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name != "postgresql":
        raise ConfigError(f"DATABASE_URL: {engine.dialect.name} is not supported; use SQLite or PostgreSQL")
    return engine


def _create_private(database: str | None) -> None:
    # Special category data: a new SQLite file is readable by its owner only. SQLite creates
    # the -wal and -shm files with the database file's mode.
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise ConfigError(
            f"DATABASE_URL: cannot create the SQLite file {database} ({exc.strerror})"
        ) from None


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _redact(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split(':')[0]}:***@{tail}" if sep and ":" in head.split("//")[-1] else url


def insert_unless_present(session: Session, model: type, **values: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL).

    Check the outcome with RETURNING, not rowcount: psycopg 3 reports -1 for this statement.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).values(**values).on_conflict_do_nothing()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def pending_migrations(engine: Engine) -> list[str]:
    """The migrations not yet applied to the database, oldest first (none: it is up to date)."""
    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    history = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    done = max((history.index(r) + 1 for r in applied if r in history), default=0)
    return history[done:]


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the latest migration."""
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass
class Database:
    """An engine and its session factory: what every unit of work is opened on."""

    engine: Engine
    sessions: Callable[[], Session]

    @classmethod
    def connect(cls, url: str, keyring: Keyring) -> Database:
        """Connect to `url`, sealing and opening encrypted columns with `keyring` (no migration)."""
        engine = make_engine(url)
        bind(engine, keyring)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work; use it as `with db.unit_of_work() as uow: ...; uow.commit()`."""
        return UnitOfWork(self.sessions)


class UnitOfWork:
    """One transaction: leaving the block without `commit()` rolls everything back."""

    session: Session

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Make the work of this block durable."""
        self.session.commit()
