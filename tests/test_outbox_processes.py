"""A bot process killed mid-delivery: the case was committed, its card was being posted. A
runner process (`ypsi reminders run`) delivers the card within seconds (after the claim's lease),
once; the receipt, delivered before the kill, is not sent again.

Real processes, real signed HTTP, the fake Slack holding the card's post until the bot is
killed with SIGKILL. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from sqlalchemy import func, select

from bot.ids import CallbackId
from bot.slack.server import PATH
from conversations.storage.models import Case, OutboxMessage
from tests.conftest import OAKFIELD, TEACHER, TEST_KEYRING, make_context
from tests.slack.dialogue import walk_to_review
from tests.slack.fake_api import Fault, dm_channel
from tests.slack.harness import SIGNING_SECRET, SlackHarness
from tests.test_cli import ROOT
from tests.test_slack_check_config import ACADEMY
from tests.test_slack_reminders import wait_for
from tests.test_slack_serve import free_port, wait_until_listening

CHANNEL = OAKFIELD.dsl_channel


def start(tmp_path, slack_api, database_url: str, *args: str, **settings: str) -> subprocess.Popen:
    """`ypsi <args>` in a child process on `database_url`, configured for the fake Slack."""
    (tmp_path / "academies.toml").write_text(ACADEMY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "YPSI_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.url,
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
        **settings,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def receipt_state(ctx) -> str | None:
    with ctx.db.unit_of_work() as uow:
        return uow.session.scalar(select(OutboxMessage.state).where(OutboxMessage.kind == "receipt"))


def test_a_bot_killed_mid_delivery_leaves_its_card_to_the_runner(
    database_url, academies, clock, tmp_path, slack_api
):
    ctx = make_context(database_url, academies, clock)
    slack = SlackHarness(ctx, slack_api)  # its signed requests go to the bot process below
    port = free_port()
    bot = start(tmp_path, slack_api, database_url, "run", PORT=str(port))
    runner = None
    release = threading.Event()
    try:
        wait_until_listening(port, bot)
        slack.url = f"http://127.0.0.1:{port}{PATH}"
        slack_api.inject("chat.postMessage", Fault.hang(release), channel=CHANNEL)
        slack.command(TEACHER, "report")
        wait_for(lambda: bool(slack_api.view_by_trigger))  # views.open runs after the ack
        slack.current[TEACHER] = next(iter(slack_api.view_by_trigger.values()))
        walk_to_review(slack)
        assert slack.submit_view(TEACHER).json["view"]["callback_id"] == CallbackId.SENT

        assert slack_api.stalled.wait(timeout=60)  # the card's post is in flight ...
        wait_for(lambda: receipt_state(ctx) == "delivered")  # (the receipt went on another worker)
        bot.kill()  # ... when the process dies
        bot.wait(timeout=60)
        release.set()
        assert slack_api.posted(CHANNEL) == []

        runner = start(tmp_path, slack_api, database_url, "reminders", "run", "--interval", "1")
        wait_for(lambda: bool(slack_api.posted(CHANNEL)), seconds=90)
    finally:
        release.set()
        for process in (bot, runner):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
        slack.stop()

    with ctx.db.unit_of_work() as uow:
        reference = uow.session.scalar(select(Case.reference))
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 1
        states = list(uow.session.scalars(select(OutboxMessage.state)))
    [card] = slack_api.posted(CHANNEL)
    assert reference in card["text"]
    assert len(slack_api.posted(dm_channel(TEACHER))) == 1
    assert states == ["delivered", "delivered"]
    ctx.db.engine.dispose()
