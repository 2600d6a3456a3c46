"""Slack's conventions, through signed payloads against the fake Slack.

Retries through the outbox (429 with Retry-After, 5xx, a dropped connection), a channel Slack
did not describe is "unknown" (never "not private"), views.update with the view's hash (a
hash_conflict re-reads and re-renders), notify_on_close only once a draft exists, private replies
through response_url, accessibility labels on repeated buttons, a confirm dialog on "Start again",
verbatim where typed text shows.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.ids import ActionId, CallbackId, step_callback
from bot.slack.alerts import channel_problems
from bot.slack.ids import BlockId
from bot.slack.views.text import DRAFT_KEPT
from bot.wording import ALREADY_ACKNOWLEDGED
from conversations.delivery import outbox
from conversations.storage.models import AuditEvent, Case
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.slack.dialogue import ANSWERS, SENTINEL_ACCOUNT, walk_to_review
from tests.slack.fake_api import Fault, dm_channel

OAK_DSL = OAKFIELD.dsl_users[0]


def send_report(slack) -> str:
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    sent = slack.submit_view(TEACHER)
    assert sent.json["view"]["callback_id"] == CallbackId.SENT
    return "YPSI-2026-0001"


def fallbacks(ctx) -> list[dict[str, Any]]:
    with ctx.db.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert_sent_by_direct_message")
        ).all()
        return [dict(r.details or {}) for r in rows]


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


# --- retry handlers and "unknown" -------------------------------------------------------------


def test_a_rate_limited_channel_check_waits_retry_after_and_the_card_goes_to_the_channel(ctx, slack, clock):
    slack.api.fail_http("conversations.info", 429, times=2, retry_after="30")
    reference = send_report(slack)

    assert slack.api.posted(OAKFIELD.dsl_channel) == []  # rate limited: the outbox tries again later
    clock.advance(seconds=29)
    assert slack.courier.send_due() == 0  # Retry-After is honoured: nothing before 30 s
    clock.advance(seconds=1)
    assert slack.courier.send_due() == 1  # the second 429
    clock.advance(seconds=30)
    assert slack.courier.send_due() == 1

    assert len(slack.api.calls("conversations.info")) == 3  # two 429s, then the answer
    [card] = slack.api.posted(OAKFIELD.dsl_channel)
    assert reference in card["text"]
    assert slack.api.posted(dm_channel(OAK_DSL)) == []
    assert fallbacks(ctx) == []


def test_server_errors_are_retried_too(slack, clock):
    slack.api.inject("chat.postMessage", Fault.server_error(503), channel=OAKFIELD.dsl_channel)
    slack.api.fail_http("conversations.info", 500, times=1)
    send_report(slack)
    for backoff in (2, 4):  # the 500 on the channel check, then the 503 on the post
        assert slack.api.posted(OAKFIELD.dsl_channel) == []
        clock.advance(seconds=backoff)
        assert slack.courier.send_due() == 1

    attempts = [c for c in slack.api.calls("chat.postMessage") if c.params["channel"] == OAKFIELD.dsl_channel]
    assert len(attempts) == 2  # the 503 attempt, then the card
    assert len(slack.api.posted(OAKFIELD.dsl_channel)) == 1
    assert slack.api.posted(dm_channel(OAK_DSL)) == []


def test_a_dropped_connection_is_retried(slack, clock):
    slack.api.drop("conversations.info", times=2)
    send_report(slack)
    for backoff in (2, 4):
        assert slack.api.posted(OAKFIELD.dsl_channel) == []
        clock.advance(seconds=backoff)
        assert slack.courier.send_due() == 1
    assert len(slack.api.calls("conversations.info")) == 3
    assert len(slack.api.posted(OAKFIELD.dsl_channel)) == 1
    assert slack.api.posted(dm_channel(OAK_DSL)) == []


def test_a_channel_slack_would_not_describe_is_unknown_never_not_private(ctx, slack, clock):
    slack.api.fail_http("conversations.info", 503, times=outbox.MAX_ATTEMPTS)  # every attempt fails
    reference = send_report(slack)

    assert slack.api.posted(dm_channel(OAK_DSL)) == []  # unknown is not "not private": tried again
    assert fallbacks(ctx) == []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        clock.advance(minutes=10)
        assert slack.courier.send_due() == 1

    assert len(slack.api.calls("conversations.info")) == outbox.MAX_ATTEMPTS
    assert slack.api.posted(OAKFIELD.dsl_channel) == []
    [dm] = slack.api.posted(dm_channel(OAK_DSL))  # the DSL still hears, privately
    note = json.dumps(dm["blocks"])
    assert reference in dm["text"] and "could not check the channel" in note
    assert "public" not in note and "not invited" not in note
    [fallback] = fallbacks(ctx)
    assert "public" not in json.dumps(fallback) and "not invited" not in json.dumps(fallback)
    with ctx.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 1


def test_check_config_says_a_channel_could_not_be_checked(slack):
    slack.api.fail_http("conversations.info", 429, times=3, retry_after="0")
    [line] = channel_problems(slack.ctx.academies, slack.app.client)
    assert "could not be checked" in line and "public" not in line


# --- views.update with hash -------------------------------------------------------------------


def test_views_update_carries_the_hash_and_a_conflict_re_reads_and_re_renders(slack):
    slack.command(TEACHER, "report")
    for step in ("safety", "risk", "young_people"):
        slack.submit_view(TEACHER, ANSWERS[step])
    view_id = slack.current[TEACHER]
    sent_hash = slack.api.view_hashes[view_id]
    slack.api.touch_view(view_id)  # the modal changed after the click left (e.g. another click)
    view = {**slack.view(TEACHER), "id": view_id, "hash": sent_hash, "state": {"values": {}}}
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": TEACHER, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": "1.t",
        "container": {"type": "view", "view_id": view_id},
        "view": view,
        "actions": [{"type": "button", "action_id": ActionId.BACK, "value": "back", "action_ts": "1"}],
    }
    assert slack.interact(payload).status == 200

    first, second = slack.api.calls("views.update")[-2:]
    assert first.params["hash"] == sent_hash and "hash" not in second.params
    assert slack.view(TEACHER)["callback_id"] == step_callback("young_people")  # one step back, once


def test_back_sends_the_hash_slack_gave(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.submit_view(TEACHER, ANSWERS["risk"])
    current = slack.api.view_hashes[slack.current[TEACHER]]
    slack.click(TEACHER, ActionId.BACK, "back")
    [update] = slack.api.calls("views.update")
    assert update.params["hash"] == current
    assert slack.view(TEACHER)["callback_id"] == step_callback("risk")


# --- notify_on_close --------------------------------------------------------------------------


def test_closing_the_first_modal_before_any_answer_sends_nothing(slack):
    slack.command(TEACHER, "report")
    view = slack.view(TEACHER)
    assert view["notify_on_close"] is False
    assert slack.close_view(TEACHER) is None  # so Slack does not tell the app
    # Even if a view_closed came for a view without a draft (an older version's modal): nothing.
    closed = {
        "type": "view_closed",
        "team": {"id": TEAM},
        "user": {"id": TEACHER, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "view": {**view, "id": slack.current[TEACHER], "notify_on_close": True},
        "is_cleared": False,
    }
    assert slack.interact(closed).status == 200
    assert slack.api.posted(dm_channel(TEACHER)) == []


def test_once_a_draft_exists_closing_says_it_is_kept(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    assert slack.view(TEACHER)["notify_on_close"] is True
    slack.close_view(TEACHER)
    [dm] = slack.api.posted(dm_channel(TEACHER))
    assert dm["text"] == DRAFT_KEPT


# --- private replies, labels, confirm, verbatim -----------------------------------------------


def test_a_private_reply_to_a_click_on_a_message_goes_to_response_url(slack):
    reference = send_report(slack)
    slack.click_message(OAK_DSL, OAKFIELD.dsl_channel, "1.2", ActionId.ACKNOWLEDGE, reference)
    slack.click_message(OAK_DSL, OAKFIELD.dsl_channel, "1.2", ActionId.ACKNOWLEDGE, reference)

    [reply] = slack.api.calls("response_url")
    assert reply.params["text"] == ALREADY_ACKNOWLEDGED
    assert reply.params["response_type"] == "ephemeral" and reply.params["replace_original"] is False
    assert slack.api.calls("chat.postEphemeral") == []


def test_a_response_url_outside_slack_is_never_posted_to(slack):
    reference = send_report(slack)
    slack.click_message(OAK_DSL, OAKFIELD.dsl_channel, "1.2", ActionId.ACKNOWLEDGE, reference)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": OAK_DSL, "team_id": TEAM},
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": "1.t",
        "container": {"type": "message", "channel_id": OAKFIELD.dsl_channel, "message_ts": "1.2"},
        "channel": {"id": OAKFIELD.dsl_channel},
        "message": {"ts": "1.2"},
        "response_url": "https://evil.example/hook",
        "actions": [
            {"type": "button", "action_id": ActionId.ACKNOWLEDGE, "value": reference, "action_ts": "1"}
        ],
    }
    assert slack.interact(payload).status == 200
    assert slack.api.calls("response_url") == []
    assert slack.api.calls("views.open")[-1].params["view"]["callback_id"] == CallbackId.NOTICE


def test_each_open_button_of_the_case_list_says_which_case(slack):
    for _ in range(3):
        send_report(slack)
    blocks = slack.command(OAK_DSL, "cases").json["blocks"]
    opens = [b for b in buttons(blocks) if b["action_id"] == ActionId.OPEN_CASE]
    assert len(opens) == 3
    labels = [b["accessibility_label"] for b in opens]
    assert len(set(labels)) == 3 and all(b["value"] in b["accessibility_label"] for b in opens)


def test_start_again_asks_before_discarding_the_draft(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.submit_view(TEACHER, ANSWERS["risk"])
    slack.close_view(TEACHER)
    slack.command(TEACHER, "report")
    offer = slack.view(TEACHER)
    assert offer["callback_id"] == CallbackId.RESUME
    [again] = [b for b in buttons(offer["blocks"]) if b["action_id"] == ActionId.START_AGAIN]
    confirm = again["confirm"]
    assert confirm["style"] == "danger" and "Discard" in confirm["title"]["text"]
    assert confirm["deny"]["text"] == "Keep my report"


def test_typed_text_in_the_case_modal_is_verbatim(slack):
    reference = send_report(slack)
    slack.click_message(OAK_DSL, OAKFIELD.dsl_channel, "1.2", ActionId.OPEN_CASE, reference)
    view = slack.view(OAK_DSL)
    typed = "XYZZY-ACCOUNT"
    assert typed in SENTINEL_ACCOUNT
    holding = [
        b for b in view["blocks"] if b["type"] == "section" and typed in b.get("text", {}).get("text", "")
    ]
    assert holding and all(b["text"].get("verbatim") is True for b in holding)
    assert all(b.get("block_id") != BlockId.NAVIGATION for b in holding)
