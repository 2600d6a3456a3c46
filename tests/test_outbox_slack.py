"""The outbox through signed Slack payloads, against a fake Slack that fails on purpose.

Each test drives the real app (the harness waits for its delivery workers), then plays the
runner's part with `slack.courier.send_due()` after moving the fake clock: what a runner does
every few seconds. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ids import ActionId, CallbackId
from bot.slack.courier import delivery_client
from conversations.delivery import outbox
from conversations.storage.models import AuditEvent, Case, OutboxMessage
from tests.conftest import OAKFIELD, TEACHER
from tests.slack.dialogue import walk_to_review
from tests.slack.fake_api import Fault, dm_channel

CHANNEL = OAKFIELD.dsl_channel
DSL = OAKFIELD.dsl_users[0]


def send_report(slack) -> str:
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    sent = slack.submit_view(TEACHER)
    assert sent.json["view"]["callback_id"] == CallbackId.SENT  # "sent" is shown ...
    with slack.ctx.db.unit_of_work() as uow:  # ... exactly when the case exists
        return uow.session.scalar(select(Case.reference))


def rows(ctx, kind: str | None = None) -> list[OutboxMessage]:
    with ctx.db.unit_of_work() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        found = list(uow.session.scalars(query))
        uow.session.expunge_all()  # read as they are now
        return found


def audited(ctx, action: str) -> int:
    with ctx.db.unit_of_work() as uow:
        return uow.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def card_posts(slack) -> list[dict]:
    return slack.api.posted(CHANNEL)


def test_rate_limit_and_server_error_are_retried_with_backoff(ctx, slack, clock):
    slack.api.inject("chat.postMessage", Fault.rate_limited(30), Fault.server_error(503), channel=CHANNEL)
    ref = send_report(slack)

    assert card_posts(slack) == []  # 429: not posted yet ...
    assert len(slack.api.posted(dm_channel(TEACHER))) == 1  # ... but the receipt went at once
    clock.advance(seconds=29)
    assert slack.courier.send_due() == 0  # Retry-After is honoured: nothing before 30 s
    clock.advance(seconds=1)
    assert slack.courier.send_due() == 1  # the 503: retried, backing off
    clock.advance(seconds=3)
    assert slack.courier.send_due() == 0
    clock.advance(seconds=1)
    assert slack.courier.send_due() == 1

    [card] = card_posts(slack)
    assert ref in card["text"]
    [alert] = rows(ctx, "alert")
    assert (alert.state, alert.attempts, alert.payload) == ("delivered", 3, {})
    assert slack.api.posted(dm_channel(DSL)) == []  # no fallback: it was only slow
    assert audited(ctx, "message_not_delivered") == 0


def test_a_timeout_is_retried_and_the_card_posted_once(ctx, slack, clock):
    slack.courier.client = delivery_client(slack.settings)
    slack.courier.client.timeout = 1  # the fake answers after 3 s: the client gives up first
    slack.api.inject("chat.postMessage", Fault.timeout(3), channel=CHANNEL)
    ref = send_report(slack)
    assert card_posts(slack) == []
    clock.advance(seconds=2)
    assert slack.courier.send_due() == 1
    [card] = card_posts(slack)
    assert ref in card["text"]
    assert rows(ctx, "alert")[0].attempts == 2


def test_a_permanent_error_stops_at_once_is_audited_and_goes_to_the_dsls(ctx, slack, clock):
    slack.api.inject("chat.postMessage", Fault.error("invalid_blocks"), channel=CHANNEL)
    ref = send_report(slack)

    [dm] = slack.api.posted(dm_channel(DSL))  # someone always hears
    assert ref in dm["text"] and "invalid_blocks" in str(dm["blocks"])
    [alert] = rows(ctx, "alert")
    assert (alert.state, alert.attempts, alert.last_error) == ("dead", 1, "invalid_blocks")
    assert audited(ctx, "message_not_delivered") == 1
    assert audited(ctx, "alert_sent_by_direct_message") == 1
    clock.advance(minutes=30)
    assert slack.courier.send_due() == 0  # one attempt only
    posts = [c for c in slack.api.calls("chat.postMessage") if c.params["channel"] == CHANNEL]
    assert len(posts) == 1


def test_a_failed_receipt_is_noticed_in_the_dsl_channel_without_naming_anyone(ctx, slack):
    slack.api.fail("chat.postMessage", "user_not_found", channel=dm_channel(TEACHER))
    ref = send_report(slack)
    slack.courier.send_due()  # the notice waits behind the card if that is still in flight

    notices = [p for p in card_posts(slack) if "could not be delivered" in p["text"]]
    [notice] = notices
    assert ref in notice["text"] and "user_not_found" in notice["text"]
    assert TEACHER not in notice["text"]
    [receipt] = rows(ctx, "receipt")
    assert (receipt.state, receipt.attempts) == ("dead", 1)
    assert audited(ctx, "message_not_delivered") == 1


def test_transient_failures_end_at_the_cap_then_fall_back(ctx, slack, clock):
    slack.api.inject("chat.postMessage", *[Fault.server_error(502)] * outbox.MAX_ATTEMPTS, channel=CHANNEL)
    ref = send_report(slack)
    for _ in range(outbox.MAX_ATTEMPTS):
        clock.advance(minutes=10)
        slack.courier.send_due()

    [alert] = rows(ctx, "alert")
    assert (alert.state, alert.attempts, alert.last_error) == ("dead", outbox.MAX_ATTEMPTS, "http_502")
    [dm] = slack.api.posted(dm_channel(DSL))
    assert ref in dm["text"]
    assert card_posts(slack) == []
    clock.advance(minutes=10)
    assert slack.courier.send_due() == 0


def test_the_picked_up_message_is_written_with_the_acknowledgement(ctx, slack, clock):
    ref = send_report(slack)
    [card] = card_posts(slack)
    with ctx.db.unit_of_work() as uow:
        ts = uow.session.scalar(select(Case.alert_ts))
    slack.api.inject("chat.postMessage", Fault.server_error(500), channel=dm_channel(TEACHER))

    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)

    with ctx.db.unit_of_work() as uow:
        assert uow.session.scalar(select(Case.state)) == "acknowledged"
    [notice] = rows(ctx, "notice")
    assert (notice.state, notice.recipient_id) == ("pending", TEACHER)
    assert [c.params["ts"] for c in slack.api.calls("chat.update")] == [ts]  # the card, in place
    clock.advance(seconds=2)
    assert slack.courier.send_due() == 1
    told = slack.api.posted(dm_channel(TEACHER))[-1]
    assert ref in told["text"] and "picked" in told["text"].lower()
    assert card["text"] != told["text"]
