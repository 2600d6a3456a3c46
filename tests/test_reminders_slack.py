"""Reminders posted through the Slack deliverer to the fake Slack Web API."""

from __future__ import annotations

from datetime import date

from slack_sdk import WebClient

from bot.slack.reminder_posts import slack_deliverer
from conversations.casefile import cases
from conversations.scheduling import reminder_actions
from conversations.scheduling.runner import Runner
from tests.conftest import OAKFIELD
from tests.reminder_setup import DSL, report, request_deletion
from tests.slack.fake_api import dm_channel


def test_channel_re_alert_and_deputies_direct_message(ctx, clock, slack_api):
    ref = report(ctx)
    clock.advance(hours=1)
    Runner(ctx, slack_deliverer(WebClient(token="xoxb-test", base_url=slack_api.url))).drain()
    [realert] = slack_api.posted(OAKFIELD.dsl_channel)
    assert ref in realert["text"]
    [buttons] = [b for b in realert["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in buttons["elements"]] == [
        f"ypsi_reminder_acknowledge:{ref}",
        f"ypsi_reminder_open_case:{ref}",
    ]
    [escalation] = slack_api.posted(dm_channel(OAKFIELD.deputy_users[0]))
    assert ref in escalation["text"]
    assert "files.upload" not in slack_api.methods()


def test_a_public_channel_gets_nothing_and_the_reminder_waits(ctx, clock, slack_api):
    slack_api.set_channel(OAKFIELD.dsl_channel, is_private=False)
    report(ctx)
    clock.advance(minutes=15)
    deliver = slack_deliverer(WebClient(token="xoxb-test", base_url=slack_api.url))
    Runner(ctx, deliver).drain()
    assert slack_api.posted(OAKFIELD.dsl_channel) == []
    slack_api.set_channel(OAKFIELD.dsl_channel)  # made private: sent after the lease
    clock.advance(minutes=6)
    Runner(ctx, deliver).drain()
    assert len(slack_api.posted(OAKFIELD.dsl_channel)) == 1


def test_deletion_buttons_have_unique_action_ids(ctx, clock, slack_api):
    ref = report(ctx)
    cases.acknowledge(ctx, ref, DSL)
    request_deletion(ctx, ref, date(2026, 11, 23))
    reminder_actions.request_deletion_check(ctx, ref, DSL)
    Runner(ctx, slack_deliverer(WebClient(token="xoxb-test", base_url=slack_api.url))).drain()
    [check] = [p for p in slack_api.posted() if "Deletion check" in p["text"]]
    ids = [e["action_id"] for b in check["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids)) == 3
    assert all(p["channel"].startswith("D") for p in slack_api.posted() if "Pupil" in str(p["blocks"]))
