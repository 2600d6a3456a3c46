"""Reminders through the outbox, one copy per recipient: a failed direct message never re-posts
the channel copy; a copy given up is a visible dead letter (`ypsi reminders due`, the weekly
digest). The runner as `ypsi run` runs it (with the bot's courier), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from conversations.casefile import cases
from conversations.delivery import outbox
from conversations.scheduling.runner import Runner
from conversations.storage.models import OutboxMessage, Reminder
from tests.conftest import OAKFIELD, TEST_KEYRING
from tests.reminder_setup import DSL, Outbox, london, report, request_deletion
from tests.slack.fake_api import Fault, dm_channel
from tests.test_cli import ypsi

CHANNEL = OAKFIELD.dsl_channel
OVERDUE_TITLE = "Deletion overdue"


def not_called(message) -> None:
    raise AssertionError("with a sender, reminders go through the outbox")


def run_reminders(slack) -> int:
    """One runner pass with the bot's courier, then its deliveries finished."""
    claimed = Runner(slack.ctx, not_called, sender=slack.courier).drain()
    slack.courier.drain()
    deliver_due(slack)  # what queued behind another message to the same place, as the runner does
    return claimed


def deliver_due(slack) -> None:
    """The runner's outbox pass: claim what is due until nothing is."""
    while slack.courier.send_due():
        pass


def overdue_case(slack) -> str:
    """Acknowledged by the DSL; deletion was due last Friday: due and overdue reminders are due now
    (the "due" one is merged into the overdue one: only the overdue one is sent)."""
    ref = report(slack.ctx)
    slack.courier.send_due()  # the card and the receipt, as the bot sends them
    cases.acknowledge(slack.ctx, ref, DSL)
    request_deletion(slack.ctx, ref, date(2026, 11, 20))
    return ref


def overdue_posts(slack) -> list[dict]:
    return [p for p in slack.api.posted(CHANNEL) if p["text"].startswith(OVERDUE_TITLE)]


def copies(ctx) -> list[tuple[str, str, str, int]]:
    with ctx.db.unit_of_work() as uow:
        query = (
            select(OutboxMessage.recipient_kind, OutboxMessage.state, Reminder.kind, OutboxMessage.attempts)
            .join(Reminder, OutboxMessage.reminder_id == Reminder.id)
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in uow.session.execute(query)]


def test_a_failed_direct_message_does_not_repost_the_channel_copy(ctx, slack, clock):
    ref = overdue_case(slack)
    slack.api.fail("chat.postMessage", "user_not_found", channel=dm_channel(DSL))

    assert run_reminders(slack) == 2  # deletion due (merged: not sent), overdue (owner and channel)
    [overdue] = overdue_posts(slack)
    assert ref in overdue["text"]
    assert "Pupil" not in str(overdue["blocks"])  # the channel copy carries no pseudonym
    assert sorted(copies(ctx)) == [
        ("channel", "delivered", "deletion_overdue", 1),
        ("user", "dead", "deletion_overdue", 1),
    ]
    notices = [p["text"] for p in slack.api.posted(CHANNEL) if "could not be delivered" in p["text"]]
    assert len(notices) == 1 and all(ref in n and DSL not in n for n in notices)

    for _ in range(3):  # past the reminders' lease, again and again: nothing is sent twice
        clock.advance(minutes=10)
        run_reminders(slack)
    assert len(overdue_posts(slack)) == 1
    assert [c for c in copies(ctx) if c[1] != "delivered" and c[1] != "dead"] == []


def test_a_slow_direct_message_is_retried_alone(ctx, slack, clock):
    overdue_case(slack)
    slack.api.inject(
        "chat.postMessage", Fault.server_error(503), Fault.server_error(503), channel=dm_channel(DSL)
    )
    run_reminders(slack)
    assert len(overdue_posts(slack)) == 1  # the channel copy went at once; the direct message waits
    clock.advance(minutes=1)
    deliver_due(slack)
    clock.advance(minutes=1)
    deliver_due(slack)

    assert len(overdue_posts(slack)) == 1
    assert sorted(copies(ctx)) == [
        ("channel", "delivered", "deletion_overdue", 1),
        ("user", "delivered", "deletion_overdue", 3),  # two 503s, then delivered
    ]
    assert len([p for p in slack.api.posted(dm_channel(DSL)) if p["text"].startswith("Deletion")]) == 1


def test_dead_letters_are_listed_by_reminders_due_and_in_the_weekly_digest(ctx, slack, clock, tmp_path):
    ref = overdue_case(slack)
    slack.api.fail("chat.postMessage", "user_not_found", channel=dm_channel(DSL))
    run_reminders(slack)

    due = ypsi(
        ["reminders", "due"],
        tmp_path,
        DATABASE_URL=ctx.db.engine.url.render_as_string(hide_password=False),
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
    )
    assert due.returncode == 0, due.stderr
    assert "Not delivered (dead letter" in due.stdout
    lines = [line for line in due.stdout.splitlines() if "user_not_found" in line]
    assert len(lines) == 1 and all(ref in line and "a direct message" in line for line in lines)
    assert "deletion_overdue" in lines[0]  # the "due" one was merged into it, never sent
    assert "1 not delivered." in due.stdout
    assert DSL not in due.stdout and "Pupil" not in due.stdout

    collected = Outbox()
    runner = Runner(ctx, collected)
    runner.maintain()  # creates the next Monday's digest
    clock.now = london(2026, 11, 30, 8, 1)
    runner.drain()
    [digest] = [m for m in collected.sent if m.kind == "weekly_digest" and m.academy_key == OAKFIELD.key]
    dead = [line for line in digest.lines if "user_not_found" in line]
    assert len(dead) == 1 and all(ref in line for line in dead)
    assert any("deletion overdue" in line.lower() for line in dead)
    assert not any(DSL in line or "Pupil" in line for line in digest.lines)
    assert outbox.MAX_ATTEMPTS > 1


def test_a_public_channel_gets_nothing_and_its_reminder_goes_to_the_dsls(ctx, slack, clock):
    ref = report(ctx)
    slack.courier.send_due()  # the card, while the channel was still private
    slack.api.set_channel(CHANNEL, is_private=False)
    clock.advance(minutes=15)
    assert run_reminders(slack) == 1  # the re-alert: to the channel only

    assert [p for p in slack.api.posted(CHANNEL) if p["text"].startswith("Still waiting")] == []
    [dm] = [p for p in slack.api.posted(dm_channel(DSL)) if p["text"].startswith("Still waiting")]
    assert ref in dm["text"]
    assert ("channel", "dead", "unacknowledged", 1) in copies(ctx)
    clock.advance(minutes=10)
    run_reminders(slack)
    assert len([p for p in slack.api.posted(dm_channel(DSL)) if p["text"].startswith("Still waiting")]) == 1
