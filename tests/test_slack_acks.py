"""Acks do not wait on Slack: listeners do their database work and return, every Web API call
runs on the delivery workers. With every `views.open` held by Slack, eight `/ypsi report` and a
`/ypsi help` sent at once are all answered first; the modals open once Slack answers.
(Timings of the same situation, with Slack answering after 2 s, are in bench/starvation.py.)
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.ids import CallbackId
from bot.slack.app import PROCESS_BEFORE_RESPONSE
from bot.slack.ids import COMMAND
from bot.slack.views.text import HELP
from tests.conftest import OAKFIELD, TEACHER
from tests.slack.dialogue import walk_to_review
from tests.slack.fake_api import TEAM, Fault, dm_channel
from tests.slack.harness import SIGNING_SECRET

REPORTERS = 8


def command_form(user: str, text: str, trigger: str) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "user_id": user,
            "command": COMMAND,
            "text": text,
            "channel_id": "C0STAFFROOM",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": trigger,
        }
    )


def raw_post(slack, body: str) -> tuple[int, str]:
    """A signed POST whose answer is read at once (the harness's `send` would wait for deliveries)."""
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body),
    }
    request = urllib.request.Request(slack.url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read().decode()


def test_help_and_reports_are_acked_while_slack_holds_every_call(ctx, slack):
    assert PROCESS_BEFORE_RESPONSE  # bolt answers when the listener returns: no polling loop
    release = threading.Event()
    slack.api.inject("views.open", *[Fault.stall(release)] * REPORTERS)
    staff = [f"U0STAFF{n:03d}" for n in range(REPORTERS)]
    try:
        with ThreadPoolExecutor(REPORTERS + 1) as pool:
            reports = [pool.submit(raw_post, slack, command_form(u, "report", f"{u}.t")) for u in staff]
            acks = [r.result(timeout=60) for r in reports]
            help_ack = raw_post(slack, command_form(TEACHER, "help", "help.t"))
        # Every ack is back while Slack still holds each views.open: none waited for Slack.
        assert not release.is_set()
        assert [status for status, _ in acks] == [200] * REPORTERS
        assert help_ack == (200, HELP)
        opens = slack.api.calls("views.open")
        assert len(opens) <= REPORTERS and not any(c.ok for c in opens)
    finally:
        release.set()
    slack.drain()
    assert len(slack.api.calls("views.open")) == REPORTERS


def test_slow_slack_delays_the_alert_not_the_teacher_s_sent_screen(ctx, slack):
    release = threading.Event()
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.api.inject("conversations.info", Fault.stall(release))
    payload = slack.submission(TEACHER)
    body = urlencode({"payload": json.dumps(payload)})
    try:
        status, answer = raw_post(slack, body)
        assert status == 200
        assert json.loads(answer)["view"]["callback_id"] == CallbackId.SENT
        assert slack.api.posted(OAKFIELD.dsl_channel) == []  # the card waits for Slack ...
    finally:
        release.set()
    slack.drain()
    assert len(slack.api.posted(OAKFIELD.dsl_channel)) == 1  # ... and goes once it answers
    assert len(slack.api.posted(dm_channel(TEACHER))) == 1
