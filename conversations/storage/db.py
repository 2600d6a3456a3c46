"""Engine, sessions and the unit of work. SQLite gets foreign keys and WAL on every connection.

On SQLite a unit of work that writes begins with `BEGIN IMMEDIATE`: it takes the database's one
write lock before its first read, so what it reads and decides on cannot change before it
commits (SQLite ignores FOR UPDATE). pysqlite's own BEGIN, which it sends only before the first
INSERT/UPDATE/DELETE (after the reads), is switched off; the "begin" event sends ours
(SQLAlchemy's documented recipe). Read-only units send a plain (deferred) BEGIN and never wait
for writers. PostgreSQL keeps its row locks (FOR NO KEY UPDATE) and needs none of this.

Within one process, SQLite writers queue on a lock of their own before BEGIN IMMEDIATE: a thread
waiting in SQLite's busy handler sleeps in growing steps (1, 2, 5, 10, 15, 20, 25… ms) whenever
it looks, so it often wakes well after the lock was free; a waiter on the process's lock wakes
as soon as it is released. The busy timeout still covers writers in other processes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Insert, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from conversations.errors import ConfigError
from conversations.protection.crypto import Keyring, bind

MIGRATIONS = Path(__file__).with_name("migrations")
# How long a SQLite writer waits for the write lock before failing with "database is locked".
# Transactions hold it for milliseconds; two processes with hundreds of requests queued need
# seconds (measured in docs/decisions/0030-sqlite-serialised-writes.md).
BUSY_TIMEOUT_MS = 30_000
# The execution option a read-only unit of work's connection carries (plain BEGIN on SQLite).
READ_ONLY = "ypsi_read_only"


def make_engine(url: str) -> Engine:
    """An engine for `url`; a malformed or unsupported URL is a ConfigError."""
    try:
        # A server's connection can go stale (a restart, a proxy's idle timeout): pinged at
        # checkout. A SQLite file's connection cannot, and the ping is a statement per transaction.
        engine = create_engine(url, pool_pre_ping=make_url(url).get_backend_name() != "sqlite")
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"DATABASE_URL '{_redact(url)}' is not usable ({exc.__class__.__name__}): use "
            "sqlite:///ypsi.db or postgresql+psycopg://user@host/dbname"
        ) from None
    if engine.dialect.name == "sqlite":
        _create_private(engine.url.database)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
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
    # No BEGIN from pysqlite: `_sqlite_begin` sends it, before the first read.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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
    reading_sessions: Callable[[], Session]
    # SQLite only: this process's writers take it in turn (see the module's docstring).
    # Reentrant: a unit that committed may open the next before its block ends, as before.
    writer: threading.RLock | None = None

    @classmethod
    def connect(cls, url: str, keyring: Keyring) -> Database:
        """Connect to `url`, sealing and opening encrypted columns with `keyring` (no migration)."""
        engine = make_engine(url)
        bind(engine, keyring)
        reading = engine.execution_options(**{READ_ONLY: True})
        return cls(
            engine,
            sessionmaker(engine, expire_on_commit=False),
            sessionmaker(reading, expire_on_commit=False),
            threading.RLock() if engine.dialect.name == "sqlite" else None,
        )

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; use it as `with db.unit_of_work() as uow: ...; uow.commit()`.

        A unit that writes (the default) holds SQLite's write lock from its first statement;
        `read_only=True` does not, and may not commit.
        """
        if read_only:
            return UnitOfWork(self.reading_sessions, read_only=True)
        return UnitOfWork(self.sessions, writer=self.writer)


class UnitOfWork:
    """One transaction: leaving the block without `commit()` rolls everything back."""

    session: Session

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        read_only: bool = False,
        writer: threading.RLock | None = None,
    ) -> None:
        self._sessions = sessions
        self.read_only = read_only
        self._writer = writer

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        if not self.read_only:
            _refuse_nested_write(self.session)
            if self._writer is not None:
                self._writer.acquire()
            _writing().append(self.session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
            self.session.close()
        finally:
            if not self.read_only:
                _writing().remove(self.session)
                if self._writer is not None:
                    self._writer.release()

    def commit(self) -> None:
        """Make the work of this block durable (a read-only unit has none: ReadOnlyWrite)."""
        if self.read_only:
            raise ReadOnlyWrite("a read-only unit of work cannot commit")
        self.session.commit()


class ReadOnlyWrite(RuntimeError):
    """A read-only unit of work asked to commit: a programming error, never a user's."""


class NestedWrite(RuntimeError):
    """A writing unit of work opened on SQLite while this thread's open one holds the write lock.

    The inner one would wait for the outer (its own caller) until the busy timeout: a
    programming error, raised at once instead. End the outer transaction first, or read-only.
    """


_local = threading.local()


def _writing() -> list[Session]:
    # This thread's open writing sessions (a thread runs one request at a time).
    if not hasattr(_local, "sessions"):
        _local.sessions = []
    return _local.sessions


def _refuse_nested_write(session: Session) -> None:
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return
    for outer in _writing():
        if outer.get_bind().url == engine.url and outer.in_transaction():
            raise NestedWrite("a writing unit of work inside another on the same SQLite database")
