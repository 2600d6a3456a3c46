"""11. Teams: time to dialog (the Report button's task/fetch answered with the first card) and
the ack of a message (`help`, answered once the reply is at the Bot Connector), against a bare
app of the same SDK doing the same requests, in the same run.

Both apps are served the same way (bot/teams/server.py: uvicorn in its own thread, the same
guard), validate the same signed JWT against the same local keys, and reply through the same
fake Bot Connector (tests/teams). The bare app answers task/fetch with a fixed one-input card
and a message with a fixed text; ypsi-bot reads the person's draft (none: a new person each
round) and builds the safety step's card, and for a message stores the person's address, then
replies. Each round sends one request to each app in turn, so drift hits both alike.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from microsoft_teams.api import MessageActivity, TaskFetchInvokeActivity
from microsoft_teams.apps import ActivityContext, App

from bench.common import NOW, Row, Target, database, ms, percentile
from bot.teams.ids import ActionId, DataKey
from bot.teams.listeners import Outbox
from bot.teams.listeners.replies import dialog
from conversations.academies import Academies
from conversations.context import Context
from tests.conftest import FakeClock, make_context
from tests.teams.fake_connector import FakeConnector
from tests.teams.fixtures import DSL_TEAM, LARCHWOOD, SAFE_ROSTER
from tests.teams.harness import OpenIdServer, Person, TeamsHarness

NAME = "11 teams"
ROUNDS = 300
WARMUP = 20
OPEN = {DataKey.ACTION: ActionId.REPORT_FROM_HOME}
BARE_CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "Input.Text", "id": "answer", "label": "Answer"}],
    "actions": [{"type": "Action.Submit", "title": "Next"}],
}


def run() -> list[Row]:
    samples: dict[str, tuple[list[float], list[float]]] = {"ypsi": ([], []), "bare": ([], [])}
    with _servers() as servers:
        for n in range(ROUNDS + WARMUP):
            for app, teams in servers.items():
                person = Person(str(uuid.uuid4()))
                opened = _timed(lambda t=teams, p=person: t.dialog_open(p, OPEN))
                acked = _timed(lambda t=teams, p=person: t.message(p, "help"))
                if n >= WARMUP:
                    samples[app][0].append(opened)
                    samples[app][1].append(acked)
    return _rows(samples)


@contextmanager
def _servers() -> Iterator[dict[str, TeamsHarness]]:
    connector, openid = FakeConnector().start(), OpenIdServer()
    connector.set_members(DSL_TEAM, SAFE_ROSTER)
    with database("sqlite") as url:
        ctx = make_context(url, Academies({LARCHWOOD.key: LARCHWOOD}), FakeClock(NOW))
        servers = {
            "ypsi": TeamsHarness(ctx, connector, openid),
            "bare": TeamsHarness(ctx, connector, openid, listeners=bare_listeners),
        }
        try:
            yield servers
        finally:
            for teams in servers.values():
                teams.stop()
            ctx.db.engine.dispose()
            connector.stop()
            openid.stop()


def bare_listeners(app: App, ctx: Context, outbox: Outbox) -> None:
    """The baseline: the same requests answered with fixed content, no database."""

    async def open_dialog(turn: ActivityContext[TaskFetchInvokeActivity]) -> dict[str, Any]:
        return dialog("Report", BARE_CARD)

    async def reply(turn: ActivityContext[MessageActivity]) -> None:
        await turn.send("help")

    app.on_dialog_open(open_dialog)
    app.on_message(reply)


def _timed(request: Any) -> float:
    started = time.perf_counter()
    response = request()
    if response.status != 200:
        raise RuntimeError(f"the Teams app answered {response.status}")
    return ms(time.perf_counter() - started)


def _rows(samples: dict[str, tuple[list[float], list[float]]]) -> list[Row]:
    rows = []
    for index, (what, limit) in enumerate((("time to dialog", 3.0), ("message ack, reply sent", 3.0))):
        ypsi, bare = samples["ypsi"][index], samples["bare"][index]
        for p in (50, 99):
            rows.append(
                Row(
                    NAME,
                    f"{what} p{p}, sqlite",
                    percentile(ypsi, p),
                    baseline=percentile(bare, p),
                    target=Target(limit) if p == 99 else None,
                    note=f"{len(ypsi)} requests; baseline: a bare Teams SDK app, same server and JWT check",
                )
            )
    return rows
