"""The two apps every Slack benchmark compares: ypsi-bot, and a bare bolt app as the baseline.

The bare app does the least a modal wizard can: `/ypsi report` acks and opens a static modal,
each of the same number of steps answers `response_action: update` with the next static view,
and the last one posts one static message after the ack. It runs behind the same HTTP server
(bot.slack.http_server.http_server) and the same harness, so only the app's own work differs.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.config import Settings
from bot.ids import CallbackId
from bot.slack.app import web_client
from bot.slack.courier import Courier, delivery_client
from bot.slack.http_server import PATH, http_server
from bot.slack.ids import COMMAND
from tests.slack.dialogue import STEPS, walk_to_review
from tests.slack.harness import DrainingExecutor, SlackHarness

BARE_STEP, BARE_REVIEW, BARE_SENT = "bare_step", "bare_review", "bare_sent"
BARE_CHANNEL = "C0BARECHAN0"


def _static_view(callback_id: str, step: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": str(step),
        "title": {"type": "plain_text", "text": "Report"},
        "submit": {"type": "plain_text", "text": "Next"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"Step {step}"}}],
    }


def _next_view(step: int) -> dict[str, Any]:
    return _static_view(BARE_STEP if step < len(STEPS) else BARE_REVIEW, step)


def bare_app(settings: Settings, process_before_response: bool, executor: Executor | None = None) -> App:
    """A bolt app with these settings (and listener executor) and nothing of ypsi-bot's work."""
    options = {} if executor is None else {"listener_executor": executor}
    app = App(
        client=web_client(settings),
        signing_secret=settings.signing_secret,
        request_verification_enabled=True,
        process_before_response=process_before_response,
        **options,
    )

    @app.command(COMMAND)
    def command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=_next_view(0))

    @app.view_submission(BARE_STEP)
    def step(ack: Ack, view: dict[str, Any]) -> None:
        ack(response_action="update", view=_next_view(int(view["private_metadata"]) + 1))

    @app.view_submission(BARE_REVIEW)
    def submit(ack: Ack, client: WebClient) -> None:
        ack(response_action="update", view=_static_view(BARE_SENT, 0))
        client.chat_postMessage(channel=BARE_CHANNEL, text="A new report")

    return app


class BareHarness(SlackHarness):
    """The test harness serving the bare app instead of ypsi-bot."""

    def _start(self) -> None:
        self.executor = DrainingExecutor()
        self.courier = Courier(self.ctx, delivery_client(self.settings))  # idle: the bare app posts itself
        self.app = bare_app(self.settings, bool(self.process_before_response), self.executor)
        self.server = http_server(self.app, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"


def full_report(slack: SlackHarness, user: str) -> float:
    """One complete report by `user` (every step, then submit); when the submit was sent.

    Returns after the app's listeners finished, i.e. after the alert was posted.
    """
    bare = isinstance(slack, BareHarness)
    ack = slack.command(user, "report")
    if ack.status != 200:
        raise RuntimeError(f"/ypsi report answered {ack.status}")
    if bare:
        for _ in STEPS:
            slack.submit_view(user)
    else:
        walk_to_review(slack, user)
    sent_at = time.perf_counter()
    sent = slack.submit_view(user)
    expected = BARE_SENT if bare else CallbackId.SENT
    if sent.json.get("view", {}).get("callback_id") != expected:
        raise RuntimeError(f"the report was not sent: {sent.status} {sent.body[:200]}")
    return sent_at
