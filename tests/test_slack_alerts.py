"""Routing on Slack: urgent alerts, the DSL card updated in place, DM fallback, double submits."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ids import CallbackId, step_callback
from conversations.dialogue import reports
from conversations.storage.models import AuditEvent, Case
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER
from tests.slack.dialogue import ANSWERS, walk_to_review
from tests.slack.fake_api import dm_channel

URGENT = {**ANSWERS, "risk": {"immediate_risk": "yes"}, "risk_actions": {"safe_adult": "yes"}}


def count(ctx, model, *where) -> int:
    with ctx.db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def test_immediate_risk_alerts_the_dsl_channel_at_once(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    ack = slack.submit_view(TEACHER, URGENT["risk"])

    assert ack.json["view"]["callback_id"] == step_callback("risk_actions")
    assert "999" in str(ack.json["view"]["blocks"])  # emergency contacts shown in the next view
    [urgent] = slack.api.posted(OAKFIELD.dsl_channel)
    assert urgent["text"].startswith("URGENT") and "YPSI-2026-0001" in urgent["text"]
    assert f"<@{OAKFIELD.dsl_users[0]}>" in str(urgent["blocks"])
    assert "still being completed" in str(urgent["blocks"])

    for step in ("risk_actions", "young_people", "sharing", "concerns", "device", "account"):
        slack.submit_view(TEACHER, URGENT[step])
    slack.submit_view(TEACHER)

    assert len(slack.api.posted(OAKFIELD.dsl_channel)) == 1  # the card is updated, not posted again
    [update] = [c.params for c in slack.api.calls("chat.update")]
    assert (update["channel"], update["ts"]) == (OAKFIELD.dsl_channel, slack.api.posted()[0] and update["ts"])
    assert "still being completed" not in str(update["blocks"]) and "YPSI-2026-0001" in update["text"]
    assert count(slack.ctx, Case) == 1


def test_public_dsl_channel_falls_back_to_direct_messages(ctx, slack):
    slack.api.set_channel(OAKFIELD.dsl_channel, is_private=False)
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    sent = slack.submit_view(TEACHER)

    assert sent.json["view"]["callback_id"] == CallbackId.SENT
    assert slack.api.posted(OAKFIELD.dsl_channel) == []
    [dm] = slack.api.posted(dm_channel(OAKFIELD.dsl_users[0]))
    assert "YPSI-2026-0001" in dm["text"] and "public" in str(dm["blocks"])
    assert count(ctx, Case) == 1
    assert count(ctx, AuditEvent, AuditEvent.action == "alert_sent_by_direct_message") == 1


def test_bot_not_in_the_channel_falls_back_too(slack):
    slack.api.set_channel(OAKFIELD.dsl_channel, is_member=False)
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.submit_view(TEACHER)
    assert slack.api.posted(OAKFIELD.dsl_channel) == []
    assert "not a member" in str(slack.api.posted(dm_channel(OAKFIELD.dsl_users[0]))[0]["blocks"])


def test_double_submit_makes_one_case_and_one_alert(ctx, slack):
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    payload = slack.submission(TEACHER)
    first, second = slack.interact(payload), slack.interact(payload)

    assert first.json["view"]["callback_id"] == second.json["view"]["callback_id"] == CallbackId.SENT
    assert "YPSI-2026-0001" in str(second.json["view"])
    assert count(ctx, Case) == 1
    assert len(slack.api.posted(OAKFIELD.dsl_channel)) == 1
    assert len(slack.api.posted(dm_channel(TEACHER))) == 1


def test_a_stale_step_submission_is_not_saved_as_the_next_step(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    risk = slack.submission(TEACHER, ANSWERS["risk"])
    assert slack.interact(risk).json["view"]["callback_id"] == step_callback("young_people")

    again = slack.interact(risk)  # the same view submitted twice

    assert again.json == {"response_action": "update", "view": again.json["view"]}
    assert again.json["view"]["callback_id"] == step_callback("young_people")
    ack = slack.submit_view(TEACHER, ANSWERS["young_people"])
    assert ack.json["view"]["callback_id"] == step_callback("sharing")


def test_invalid_answers_come_back_as_errors_on_their_blocks(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.submit_view(TEACHER, ANSWERS["risk"])
    ack = slack.submit_view(TEACHER, {**ANSWERS["young_people"], "count": "lots", "ages": "15, 100"})

    assert ack.json["response_action"] == "errors"
    assert set(ack.json["errors"]) == {"count", "ages"}
    assert "whole number" in ack.json["errors"]["count"]
    block_ids = {b.get("block_id") for b in slack.view(TEACHER)["blocks"]}
    assert set(ack.json["errors"]) <= block_ids


def test_another_persons_draft_id_is_refused(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])  # the draft exists once the first step is answered
    intruder = "U0INTRUDER"
    payload = slack.submission(TEACHER, ANSWERS["risk"])
    assert payload["view"]["private_metadata"]
    payload["user"] = {"id": intruder, "team_id": "T0SCHOOLS00"}
    ack = slack.interact(payload)
    assert ack.json["view"]["callback_id"] == CallbackId.NOTICE
    assert "not available" in str(ack.json["view"])
    owners = reports.get(slack.ctx, payload["view"]["private_metadata"], TEACHER)
    assert (owners.state, list(owners.answers)) == ("risk", ["safety"])


def test_start_again_discards_the_draft(slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.command(TEACHER, "report")
    slack.click(TEACHER, "ypsi_start_again")
    assert slack.view(TEACHER)["callback_id"] == step_callback("safety")
    assert "initial_option" not in str(slack.view(TEACHER)["blocks"])


def test_a_failed_channel_post_falls_back_to_direct_messages(ctx, slack):
    slack.api.fail("chat.postMessage", "not_in_channel", channel=OAKFIELD.dsl_channel)
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    assert slack.submit_view(TEACHER).json["view"]["callback_id"] == CallbackId.SENT
    [dm] = slack.api.posted(dm_channel(OAKFIELD.dsl_users[0]))
    assert "YPSI-2026-0001" in dm["text"] and "not_in_channel" in str(dm["blocks"])
    assert count(ctx, AuditEvent, AuditEvent.action == "alert_sent_by_direct_message") == 1
    assert len(slack.api.posted(dm_channel(TEACHER))) == 1  # the teacher still gets the receipt


def test_staff_of_several_academies_choose_and_only_that_dsl_channel_hears(slack):
    roaming = "U0ROAMING0"
    slack.command(roaming, "report")
    academy = slack.submit_view(roaming, ANSWERS["safety"]).json["view"]
    assert academy["callback_id"] == step_callback("academy")
    options = next(b for b in academy["blocks"] if b.get("block_id") == "academy")["element"]["options"]
    assert [o["value"] for o in options] == ["oakfield", "riverside"]
    slack.submit_view(roaming, {"academy": "riverside"})
    for step in ("risk", "young_people", "sharing", "concerns", "device", "account"):
        slack.submit_view(roaming, ANSWERS[step])
    slack.submit_view(roaming)
    assert len(slack.api.posted(RIVERSIDE.dsl_channel)) == 1
    assert slack.api.posted(OAKFIELD.dsl_channel) == []
    assert [c.params["channel"] for c in slack.api.calls("conversations.info")] == [RIVERSIDE.dsl_channel]
