"""End to end: /ypsi report through every modal step to the DSL channel, over signed HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ids import ActionId, CallbackId, step_callback
from bot.slack.ids import BlockId
from conversations.storage.models import Case
from tests.conftest import OAKFIELD, TEACHER
from tests.slack.dialogue import ANSWERS, SENTINEL_NAME, SENTINEL_PLATFORM, walk_to_review
from tests.slack.fake_api import dm_channel


def case_count(ctx) -> int:
    with ctx.db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(Case))


def test_report_end_to_end(ctx, slack):
    ack = slack.command(TEACHER, "report")
    assert ack.status == 200 and ack.body == ""
    opened = slack.api.calls("views.open")
    assert len(opened) == 1 and opened[0].params["view"]["callback_id"] == step_callback("safety")
    walk_to_review(slack)

    review = slack.view(TEACHER)
    text = str(review["blocks"])
    # The reporter sees their answers and the referral points, never the typology.
    assert "Coercion, blackmail or grooming" in text and "the DSL will decide whether to refer now" in text
    assert "UKCIS 2024" in text  # each trigger carries its policy sentence
    assert SENTINEL_PLATFORM in text and "Aggravated" not in text and "Experimental" not in text
    sent = slack.submit_view(TEACHER)
    assert sent.json["response_action"] == "update"
    assert sent.json["view"]["callback_id"] == CallbackId.SENT
    assert "YPSI-2026-0001" in str(sent.json["view"])

    channel_posts = slack.api.posted(OAKFIELD.dsl_channel)
    assert len(channel_posts) == 1
    card = channel_posts[0]
    everything = str(card)
    assert "YPSI-2026-0001" in everything and OAKFIELD.name in everything
    assert "Aggravated: youth only, intent to harm" in everything  # the typology is for the DSL
    for secret in (SENTINEL_NAME, "XYZZY", SENTINEL_PLATFORM, "evil.example", "15, 15"):
        assert secret not in everything
    buttons = next(b for b in card["blocks"] if b.get("block_id") == BlockId.CASE_ACTIONS)["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ActionId.ACKNOWLEDGE, "YPSI-2026-0001"),
        (ActionId.OPEN_CASE, "YPSI-2026-0001"),
    ]
    assert card["metadata"]["event_payload"] == {"reference": "YPSI-2026-0001"}

    receipt = slack.api.posted(dm_channel(TEACHER))
    assert len(receipt) == 1
    assert "YPSI-2026-0001" in receipt[0]["text"] and "Childline" in str(receipt[0]["blocks"])
    # Nothing anyone typed reached Slack except inside the teacher's own modal.
    outside_modals = str([c.params for c in slack.api.calls() if not c.method.startswith("views.")])
    for secret in (SENTINEL_NAME, SENTINEL_PLATFORM, "XYZZY", "<!channel>", "<@U0OAKDSL00>"):
        assert secret not in outside_modals
    assert case_count(ctx) == 1
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case))
        assert (case.alert_channel, case.alert_ts) == (OAKFIELD.dsl_channel, channel_posts and case.alert_ts)
        assert case.alert_ts is not None


def test_draft_resumes_after_restart(ctx, slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.submit_view(TEACHER, ANSWERS["risk"])
    slack.close_view(TEACHER)
    assert "saved" in slack.api.posted(dm_channel(TEACHER))[-1]["text"]

    slack.restart()
    slack.command(TEACHER, "report")
    offer = slack.view(TEACHER)
    assert offer["callback_id"] == CallbackId.RESUME
    slack.click(TEACHER, ActionId.RESUME)
    resumed = slack.view(TEACHER)
    assert resumed["callback_id"] == step_callback("young_people")
    slack.click(TEACHER, ActionId.BACK)
    back = slack.view(TEACHER)
    assert back["callback_id"] == step_callback("risk")
    radio = next(b for b in back["blocks"] if b.get("block_id") == "immediate_risk")["element"]
    assert radio["initial_option"]["value"] == "no"


def test_back_from_the_review_shows_the_account_prefilled(slack):
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.click(TEACHER, ActionId.BACK)
    account = slack.view(TEACHER)
    assert account["callback_id"] == step_callback("account")
    element = next(b for b in account["blocks"] if b.get("block_id") == "account")["element"]
    assert element["initial_value"] == ANSWERS["account"]["account"] and element["multiline"] is True
    [update] = slack.api.calls("views.update")
    assert update.params["view_id"] == slack.current[TEACHER]
