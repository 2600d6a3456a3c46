"""Reminder buttons in Teams, end to end: a reminder falls due, the runner hands it to the Teams
courier, and its buttons (a message carrying the data, or a dialog) reach the same services as
Slack's, authorised and audited."""

from __future__ import annotations

from conversations.scheduling.runner import Runner
from tests.teams.fixtures import DSL, DSL_CHANNEL, OTHER_DSL
from tests.teams.harness import actions_of, find_action, texts
from tests.test_teams_casework import REFERENCE, audited, case_state, press_on_channel_card, reported


def reminder_in_channel(teams) -> dict:
    """The unacknowledged re-alert, sent 15 minutes after the report by the runner."""
    reported(teams)
    teams.ctx.clock.advance(minutes=16)
    runner = Runner(teams.ctx, _never, sender=teams.courier)
    runner.maintain()
    runner.drain()
    teams.courier.drain()
    posts = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send" and s.cards]
    [reminder] = [p for p in posts if "Still waiting for a DSL" in texts(p.cards[0])]
    return reminder.cards[0]


def test_acknowledge_from_the_reminder_takes_the_case(teams):
    card = reminder_in_channel(teams)

    press_on_channel_card(teams, DSL, find_action(card, "Acknowledge")["data"])

    assert case_state(teams.ctx) == ("acknowledged", DSL.id)
    assert teams.connector.texts(DSL_CHANNEL)[-1].startswith("Acknowledged by")


def test_open_case_from_the_reminder_is_refused_to_another_academy(teams):
    card = reminder_in_channel(teams)
    data = _open_case_data(card)

    mine = teams.dialog_open(DSL, data)
    theirs = teams.dialog_open(OTHER_DSL, data)

    assert mine.title == f"Case {REFERENCE}"
    assert "not authorised" in texts(theirs.dialog)
    assert audited(teams.ctx, "access_refused") == [(OTHER_DSL.id, "access refused")]


def _never(message) -> None:
    raise AssertionError("with a sender, reminders go through the outbox")


def _open_case_data(card: dict) -> dict:
    """The reminder's Open case button (its title names the case)."""
    return next(a["data"] for a in actions_of(card) if "open_case" in str(a["data"].get("action", "")))
