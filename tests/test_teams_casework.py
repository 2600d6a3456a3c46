"""The DSL in Teams, end to end through signed activities: Acknowledge on the channel card
(updated in place, the reporter told), the case as a dialog, a decision recorded through its
form (errors on the same card), and another academy's DSL refused and audited at every route."""

from __future__ import annotations

from sqlalchemy import select

from bot.slack.views.text import ALREADY_ACKNOWLEDGED, CASE_REFUSED
from bot.teams.ids import ActionId, CallbackId, DataKey, decide_action
from conversations.storage.models import AuditEvent, Case
from tests.teams.fixtures import DSL, DSL_CHANNEL, OTHER_DSL, TEACHER
from tests.teams.harness import actions_of, find_action, texts
from tests.test_teams_report import open_dialog, walk_to_review

REFERENCE = "YPSI-2026-0001"


def reported(teams) -> str:
    """A report sent through the dialog; returns the id of the alert card in the DSL channel."""
    open_dialog(teams)
    walk_to_review(teams)
    teams.press(TEACHER, "Send to the DSL")
    [alert] = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send"]
    return alert.activity_id


def press_on_channel_card(teams, person, data):
    """An Action.Submit on the channel's card: Teams sends a message carrying the button's data."""
    activity = teams.activity(person, "message", personal=False, conversation=DSL_CHANNEL, value=data)
    return teams.post(activity)


def acknowledge_button(teams) -> dict:
    card = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send"][0].cards[0]
    return find_action(card, "Acknowledge")["data"]


def case_state(ctx) -> tuple[str, str | None]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = uow.session.scalar(select(Case))
        return case.state, case.owner_id


def audited(ctx, action: str) -> list[tuple[str, str | None]]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return [(e.actor_id, e.reason) for e in events]


def test_acknowledge_updates_the_card_in_place_and_tells_the_reporter(teams):
    alert_id = reported(teams)

    response = press_on_channel_card(teams, DSL, acknowledge_button(teams))

    assert response.status == 200
    assert case_state(teams.ctx) == ("acknowledged", DSL.id)
    [update] = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "update"]
    assert update.activity_id == alert_id
    assert "Acknowledge" not in [a.get("title") for a in actions_of(update.cards[0])]
    assert "A DSL has picked up your report" in str(teams.connector.to(TEACHER.chat)[-1].body)
    again = press_on_channel_card(teams, DSL, acknowledge_button(teams))
    assert again.status == 200
    assert teams.connector.texts(DSL_CHANNEL)[-1] == ALREADY_ACKNOWLEDGED
    assert len([s for s in teams.connector.to(DSL_CHANNEL) if s.method == "update"]) == 1


def test_another_academys_dsl_cannot_acknowledge(teams):
    reported(teams)

    press_on_channel_card(teams, OTHER_DSL, acknowledge_button(teams))

    assert case_state(teams.ctx) == ("reported", None)
    assert teams.connector.texts(DSL_CHANNEL)[-1] == CASE_REFUSED
    assert audited(teams.ctx, "access_refused") == [(OTHER_DSL.id, "access refused")]


def test_the_case_opens_as_a_dialog_and_a_decision_is_recorded(teams):
    reported(teams)
    card = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send"][0].cards[0]

    opened = teams.dialog_open(DSL, find_action(card, f"Open case {REFERENCE}")["data"])

    assert opened.title == f"Case {REFERENCE}"
    assert audited(teams.ctx, "case_opened") == [(DSL.id, None)]
    teams.press(DSL, "Acknowledge")
    taken = teams.press(DSL, "Record")
    assert "Recorded: Acknowledge" in texts(taken.dialog)
    assert case_state(teams.ctx) == ("acknowledged", DSL.id)
    form = teams.press(DSL, "Principal informed")
    assert "SUAT 2019" in texts(form.dialog)
    assert f"Case {REFERENCE}" in texts(teams.press(DSL, "Back to the case").dialog)
    teams.press(DSL, "Principal informed")
    wrong = teams.press(DSL, "Record", {"informed_at": "not a date", "informed_at:time": "10:00"})
    assert callback_of(wrong.dialog) == CallbackId.DECISION and "Some answers need checking" in texts(
        wrong.dialog
    )
    recorded = teams.press(DSL, "Record", {"informed_at": "2026-11-23", "informed_at:time": "09:30"})
    assert "Recorded: Principal informed" in texts(recorded.dialog)
    assert callback_of(recorded.dialog) == CallbackId.CASE


def test_case_command_of_another_academy_is_refused_and_audited(teams):
    reported(teams)

    teams.message(OTHER_DSL, f"case {REFERENCE.lower()}")
    button = find_action(teams.connector.to(OTHER_DSL.chat)[-1].cards[0], f"Open case {REFERENCE}")
    refused = teams.dialog_open(OTHER_DSL, button["data"])

    assert texts(refused.dialog).startswith(CASE_REFUSED)
    assert REFERENCE not in texts(refused.dialog).replace(CASE_REFUSED, "")
    assert audited(teams.ctx, "access_refused") == [(OTHER_DSL.id, "access refused")]
    assert audited(teams.ctx, "case_opened") == []


def test_a_forged_decision_submission_is_refused(teams):
    reported(teams)
    data = {
        DataKey.CALLBACK: CallbackId.CASE,
        DataKey.CASE: REFERENCE,
        DataKey.ACTION: decide_action("principal_informed"),
    }

    refused = teams.dialog_submit(TEACHER, data)

    assert texts(refused.dialog).startswith(CASE_REFUSED)
    assert case_state(teams.ctx) == ("reported", None)


def test_cases_lists_the_open_cases_of_a_dsl_only(teams):
    reported(teams)

    teams.message(DSL, "cases")
    teams.message(TEACHER, "cases")

    assert REFERENCE in str(teams.connector.to(DSL.chat)[-1].cards)
    assert teams.connector.texts(TEACHER.chat)[-1] == CASE_REFUSED
    opener = [a for a in actions_of(teams.connector.to(DSL.chat)[-1].cards[0]) if a.get("data")]
    assert opener and opener[0]["data"][DataKey.ACTION] == ActionId.OPEN_CASE


def test_status_lists_the_reporters_own_reports(teams):
    reported(teams)

    teams.message(TEACHER, "status")

    assert REFERENCE in teams.connector.texts(TEACHER.chat)[-1]


def callback_of(card: dict) -> str:
    return next(
        a["data"][DataKey.CALLBACK] for a in actions_of(card) if DataKey.CALLBACK in a.get("data", {})
    )
