"""Who may touch a case in Teams: a teacher and another academy's DSL (Birchfield, in the same
Microsoft 365 tenant: tests/teams/fixtures.py) are refused on every button,
dialog, forged submission and `case REF`, each refusal audited, and shown nothing of the case
(SQLite and PostgreSQL). The services decide from the stored case, never from card data.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.ids import ActionId, CallbackId, decide_action, reminder_action
from bot.slack.views.text import NO_OPEN_CASES
from bot.teams.ids import DataKey
from bot.wording import CASE_REFUSED
from conversations.casefile.decisions import load_decisions
from conversations.scheduling.reminder_messages import ButtonAction
from conversations.storage.models import AuditEvent, Case
from tests.slack.dialogue import SENTINEL_NAME
from tests.teams.fixtures import DSL, DSL_CHANNEL, OTHER_DSL, TEACHER
from tests.teams.harness import Response
from tests.test_teams_casework import (
    WITH_SENTINELS,
    button,
    card_now,
    click,
    report,
    said,
    seen,
    told_teacher,
)


def refusals(ctx) -> list[AuditEvent]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        found = list(
            uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "access_refused").order_by(AuditEvent.id)
            )
        )
        uow.session.expunge_all()
        return found


def refused_dialog(response: Response) -> None:
    """A dialog that says only the refusal: no title, timeline or detail of the case."""
    assert response.status == 200 and response.title == "ypsi-bot"
    assert seen(response.dialog) == f"{CASE_REFUSED}\nClose"


@pytest.mark.parametrize("intruder", [TEACHER, OTHER_DSL], ids=["teacher", "other-academy-dsl"])
def test_others_are_refused_everywhere_audited_and_shown_nothing(teams, intruder):
    ref, alert = report(teams, WITH_SENTINELS)
    start = len(teams.connector.sent)
    answers: list[str] = []
    attempts = 0

    # The alert card's buttons, pressed where the card is.
    card = card_now(teams, DSL_CHANNEL, alert)
    answers.append(said(click(teams, intruder, button(card, ActionId.ACKNOWLEDGE), reply_to=alert)))
    opened = teams.dialog_open(intruder, button(card, ActionId.OPEN_CASE))
    refused_dialog(opened)
    attempts += 2
    # Every button of the case dialog and of a decision form, forged with the case's reference.
    case = {DataKey.CALLBACK: CallbackId.CASE, DataKey.CASE: ref}
    for key in load_decisions().by_key:
        refused_dialog(teams.dialog_submit(intruder, {**case, DataKey.ACTION: decide_action(key)}))
        attempts += 1
    refused_dialog(teams.dialog_submit(intruder, {**case, DataKey.ACTION: ActionId.BACK_TO_CASE}))
    sent = {**case, DataKey.ACTION: ActionId.SEND_DELETION_CHECK, ActionId.DELETION_CHECK_TO: intruder.id}
    refused_dialog(teams.dialog_submit(intruder, sent))
    attempts += 2
    for key in ("acknowledged", "note", "closed"):
        forged = {
            DataKey.CALLBACK: CallbackId.DECISION,
            DataKey.ACTION: ActionId.SUBMIT,
            DataKey.CASE: ref,
            DataKey.DECISION: key,
            "note": "x",
        }
        refused_dialog(teams.dialog_submit(intruder, forged))
        attempts += 1
    # The reminder buttons naming the case, and the extend dialog's submission.
    for action in (ButtonAction.OPEN_CASE, ButtonAction.CONFIRM_DELETION, ButtonAction.EXTEND_DEADLINE):
        data = {
            DataKey.ACTION: reminder_action(action, ref),
            DataKey.VALUE: ref,
            "msteams": {"type": "task/fetch"},
        }
        refused_dialog(teams.dialog_open(intruder, data))
        attempts += 1
    acknowledge = {DataKey.ACTION: reminder_action(ButtonAction.ACKNOWLEDGE, ref), DataKey.VALUE: ref}
    answers.append(said(click(teams, intruder, acknowledge, conversation=intruder.chat, personal=True)))
    extend = {
        DataKey.CALLBACK: CallbackId.EXTEND_DEADLINE,
        DataKey.ACTION: ActionId.SUBMIT,
        DataKey.CASE: ref,
        "deadline": date(2026, 11, 30).isoformat(),
        "reason": "Forged",
    }
    refused_dialog(teams.dialog_submit(intruder, extend))
    attempts += 2
    # `case REF` in the personal chat.
    teams.message(intruder, f"case {ref}")
    answers.append(teams.connector.texts(intruder.chat)[-1])
    attempts += 1
    # An unknown reference reads the same, and is not an audited case event.
    teams.message(intruder, "case YPSI-2026-9999")
    answers.append(teams.connector.texts(intruder.chat)[-1])

    assert answers == [CASE_REFUSED] * 4
    shown = teams.connector.sent[start:]
    assert not [s for s in shown if s.method == "update" or s.conversation_id == DSL_CHANNEL]
    for message in shown:
        text = json.dumps(message.body)
        assert SENTINEL_NAME not in text and "Timeline" not in text and "Case YPSI" not in text
    refused = refusals(teams.ctx)
    assert len(refused) == attempts and {e.actor_id for e in refused} == {intruder.id}
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        case_row = uow.session.scalar(select(Case))
        assert {e.case_id for e in refused} == {case_row.id}
        assert (case_row.state, case_row.owner_id, case_row.decisions) == ("reported", None, {})
    assert told_teacher(teams) == []


def test_forged_data_names_nothing_and_leaves_no_trace(teams):
    ref, _ = report(teams)
    for data in (
        {DataKey.CALLBACK: CallbackId.CASE, DataKey.ACTION: ActionId.BACK_TO_CASE},
        {DataKey.CALLBACK: CallbackId.CASE, DataKey.ACTION: ActionId.BACK_TO_CASE, DataKey.CASE: [ref]},
        {DataKey.CALLBACK: CallbackId.CASE, DataKey.ACTION: {"x": 1}, DataKey.CASE: ref},
        {DataKey.CALLBACK: CallbackId.DECISION, DataKey.ACTION: ActionId.SUBMIT, DataKey.CASE: ref},
        {DataKey.CALLBACK: CallbackId.DECISION, DataKey.ACTION: ActionId.SUBMIT, DataKey.DECISION: "note"},
    ):
        refused_dialog(teams.dialog_submit(DSL, data))
    refused_dialog(
        teams.dialog_submit(
            DSL, {DataKey.CALLBACK: CallbackId.CASE, DataKey.ACTION: decide_action("nope"), DataKey.CASE: ref}
        )
    )
    assert said(click(teams, DSL, {DataKey.ACTION: ActionId.ACKNOWLEDGE, DataKey.VALUE: 42})) == CASE_REFUSED
    assert said(click(teams, DSL, {DataKey.ACTION: reminder_action("launch", ref)})) == CASE_REFUSED
    assert refusals(teams.ctx) == []
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Case.state)) == "reported"


def test_cases_lists_only_the_caller_s_academies(teams):
    ref, _ = report(teams)
    teams.message(OTHER_DSL, "cases")
    assert teams.connector.texts(OTHER_DSL.chat)[-1] == "" and NO_OPEN_CASES in json.dumps(
        teams.connector.to(OTHER_DSL.chat)[-1].body
    )
    assert ref not in json.dumps(teams.connector.to(OTHER_DSL.chat)[-1].body)
    before = len(refusals(teams.ctx))
    teams.message(TEACHER, "cases")
    assert teams.connector.texts(TEACHER.chat)[-1] == CASE_REFUSED
    assert len(refusals(teams.ctx)) == before + 1


def test_an_unsigned_click_is_refused_and_changes_nothing(teams):
    ref, alert = report(teams)
    data = {DataKey.ACTION: ActionId.ACKNOWLEDGE, DataKey.VALUE: ref}
    value = {"action": {"type": "Action.Submit", "data": data}, "trigger": "manual"}
    activity = teams.activity(
        DSL, "invoke", name="adaptiveCard/action", value=value, conversation=DSL_CHANNEL
    )
    assert teams.post(activity, token=None).status == 401
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Case.owner_id)) is None
        assert (
            uow.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "acknowledged")
            )
            == 0
        )


def test_a_click_arriving_as_a_message_is_refused_in_the_conversation(teams):
    """Teams sends an Action.Submit on a message as a message carrying the button's data."""
    ref, alert = report(teams)
    data = button(card_now(teams, DSL_CHANNEL, alert), ActionId.ACKNOWLEDGE)
    pressed = teams.activity(OTHER_DSL, "message", personal=False, conversation=DSL_CHANNEL, value=data)
    assert teams.post(pressed).status == 200
    assert teams.connector.texts(DSL_CHANNEL)[-1] == CASE_REFUSED
    assert [e.actor_id for e in refusals(teams.ctx)] == [OTHER_DSL.id]
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Case.owner_id)) is None
