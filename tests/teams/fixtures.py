"""pytest fixtures for Teams tests (imported by tests/conftest.py).

`teams_ctx` is the services' context with a Teams academy beside the Slack ones, on a real
SQLite file and on a real PostgreSQL schema (tests asking for it run on both); `teams` serves
the app on it, `connector` is the fake Bot Connector it sends to.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conversations.academies import Academies, Academy
from conversations.context import Context
from tests.teams.fake_connector import FakeConnector
from tests.teams.harness import TENANT, OpenIdServer, Person, TeamsHarness

TEACHER = Person("3f2a9d1e-0b4c-4e8a-9f61-2d7c5b8a1e01", "Sam Teacher")
DSL = Person("7c4e1b2a-9d3f-4a6b-8e52-1f0a3c6d9b02", "Alex DSL")
DEPUTY = Person("a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c03", "Jo Deputy")
PRINCIPAL = Person("c0ffee00-1234-4abc-9def-56789abcde04", "Pat Principal")
ROAMING = Person("0d0e0a0d-beef-4cab-b00c-1d2e3f4a5b05", "Unlisted Person")
DSL_TEAM = "19:larchwood-safeguarding@thread.tacv2"
DSL_CHANNEL = "19:larchwood-dsl@thread.tacv2"
# An academy whose DSL team works in Teams (TEAMS.md): its channel, the team whose roster is
# checked, its tenant; staff of the tenant not listed may report too (as in a Slack workspace).
LARCHWOOD = Academy(
    key="larchwood",
    name="Larchwood Academy",
    dsl_channel="",
    dsl_users=(DSL.id,),
    deputy_users=(DEPUTY.id,),
    principal_user=PRINCIPAL.id,
    staff_users=(TEACHER.id,),
    teams_channel=f"teams:{DSL_CHANNEL}",
    teams_team=DSL_TEAM,
    tenant_id=TENANT,
)
OTHER_DSL = Person("b1c00000-0000-4000-8000-0000000000d5", "Kim Other DSL")
# Another academy in the same tenant: its DSL must never see Larchwood's cases.
BIRCHFIELD = Academy(
    key="birchfield",
    name="Birchfield Academy",
    dsl_channel="",
    dsl_users=(OTHER_DSL.id,),
    teams_channel="teams:19:birchfield-dsl@thread.tacv2",
    teams_team="19:birchfield-safeguarding@thread.tacv2",
    tenant_id=TENANT,
)
SAFE_ROSTER = [{"id": f"29:{p.aad}", "aadObjectId": p.aad, "name": p.name} for p in (DSL, DEPUTY)]


@pytest.fixture
def teams_academies() -> Academies:
    from tests.conftest import OAKFIELD, RIVERSIDE  # not at import: conftest imports this module

    return Academies({a.key: a for a in (OAKFIELD, RIVERSIDE, LARCHWOOD, BIRCHFIELD)})


@pytest.fixture
def teams_ctx(database_url, teams_academies, clock) -> Iterator[Context]:
    from tests.conftest import make_context

    context = make_context(database_url, teams_academies, clock)
    yield context
    context.db.engine.dispose()


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """The fake Bot Connector, serving in a thread on a free port."""
    fake = FakeConnector().start()
    yield fake
    fake.stop()


@pytest.fixture
def openid() -> Iterator[OpenIdServer]:
    server = OpenIdServer()
    yield server
    server.stop()


@pytest.fixture
def teams(teams_ctx: Context, connector: FakeConnector, openid: OpenIdServer) -> Iterator[TeamsHarness]:
    """The app under test, served over HTTP, replying through `connector` (whose roster of the
    DSL team is the academy's safeguarding team, so alerts go to the DSL channel)."""
    connector.set_members(DSL_TEAM, SAFE_ROSTER)
    harness = TeamsHarness(teams_ctx, connector, openid)
    yield harness
    harness.stop()
