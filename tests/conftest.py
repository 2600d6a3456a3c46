"""Shared fixtures: a fake clock, two academies, and a migrated database on SQLite and PostgreSQL.

PostgreSQL tests use `YPSI_TEST_POSTGRES_URL` (default: the local server, database `test`),
each in a schema of its own that is dropped afterwards; they skip with a reason when no
server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from sqlalchemy import create_engine, text

from conversations.academies import Academies, Academy
from conversations.context import Context
from conversations.guidance.policy import load_guidance
from conversations.protection.crypto import Keyring
from conversations.storage.db import Database, upgrade

PG_URL = os.environ.get("YPSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

OAKFIELD = Academy(
    key="oakfield",
    name="Oakfield Academy",
    dsl_channel="C0OAKDSL000",
    dsl_users=("U0OAKDSL00",),
    deputy_users=("U0OAKDEP00",),
    principal_user="U0OAKPRN00",
    staff_users=("U0OAKSTAFF",),
)
RIVERSIDE = Academy(
    key="riverside",
    name="Riverside Academy",
    dsl_channel="C0RIVDSL000",
    dsl_users=("U0RIVDSL00",),
    staff_users=("U0RIVSTAFF",),
)
TEACHER = "U0OAKSTAFF"  # belongs to Oakfield only: the academy step is skipped
ROAMING = "U0ROAMING0"  # listed nowhere: chooses the academy
TEAM = "T0SCHOOLS00"
# Every test database is encrypted, as in production; a fixed key keeps failures reproducible.
TEST_KEYRING = Keyring.parse("test:" + "dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0tLS0=")


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    # Monday 23 November 2026, 10:00 UTC: a school day.
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture
def academies() -> Academies:
    return Academies({a.key: a for a in (OAKFIELD, RIVERSIDE)})


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when the server answers."""
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"no PostgreSQL at {PG_URL} ({exc.__class__.__name__}); set YPSI_TEST_POSTGRES_URL"
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ypsi.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """The same test on a real SQLite file and on a real PostgreSQL schema."""
    return request.getfixturevalue(f"{request.param}_url" if request.param == "sqlite" else "postgres_url")


def make_context(
    url: str, academies: Academies, clock: FakeClock, keyring: Keyring = TEST_KEYRING
) -> Context:
    """A migrated database and the services' context on it."""
    db = Database.connect(url, keyring)
    upgrade(db.engine)
    return Context(db=db, academies=academies, guidance=load_guidance(), clock=clock)


@pytest.fixture
def ctx(database_url, academies, clock) -> Iterator[Context]:
    context = make_context(database_url, academies, clock)
    yield context
    context.db.engine.dispose()


@pytest.fixture
def sqlite_ctx(sqlite_url, academies, clock) -> Iterator[Context]:
    context = make_context(sqlite_url, academies, clock)
    yield context
    context.db.engine.dispose()


# The Slack harness fixtures (`slack`, `slack_api`): see tests/slack/harness.py.
from tests.slack.fixtures import slack, slack_api  # noqa: E402, F401

# The Teams harness fixtures (`teams`, `teams_ctx`, `connector`): see tests/teams/harness.py.
from tests.teams.fixtures import connector, openid, teams, teams_academies, teams_ctx  # noqa: E402, F401
