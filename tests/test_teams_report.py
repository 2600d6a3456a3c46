"""End to end in Teams: the welcome card's Report button opens the dialog, each step is one card
answered through signed task/submit activities, and the submit writes the case, the DSL alert
and the receipt exactly as Slack's does (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.ids import ActionId, CallbackId, step_callback
from bot.teams.cards.alerts import PICK_UP
from bot.teams.ids import DataKey
from conversations.storage.models import Case, Draft, OutboxMessage
from tests.slack.dialogue import ANSWERS, SENTINEL_NAME, SENTINEL_PLATFORM
from tests.teams.fixtures import DSL, DSL_CHANNEL, LARCHWOOD, PRINCIPAL, ROAMING, TEACHER
from tests.teams.harness import Person, actions_of, find_action, input_ids, texts

STEPS = list(ANSWERS)


def as_sent(values: dict[str, Any]) -> dict[str, str]:
    """Answers as Teams sends inputs: strings, a multi-select's choices joined by commas."""
    return {k: ",".join(v) if isinstance(v, list) else v for k, v in values.items()}


def report_button(card: dict[str, Any]) -> dict[str, Any]:
    """The data of the card's Report button (a task/fetch opener)."""
    data = find_action(card, "Report a concern")["data"]
    assert data["msteams"] == {"type": "task/fetch"}
    return data


def open_dialog(teams, person: Person = TEACHER):
    teams.message(person, "report")
    card = teams.connector.to(person.chat)[-1].cards[0]
    return teams.dialog_open(person, report_button(card))


def callback_of(card: dict[str, Any]) -> str:
    """The screen a dialog card shows, as its buttons' data say."""
    return next(
        a["data"][DataKey.CALLBACK] for a in actions_of(card) if DataKey.CALLBACK in a.get("data", {})
    )


def walk_to_review(teams, person: Person = TEACHER, answers=ANSWERS) -> None:
    for step, following in zip(STEPS, [*STEPS[1:], None], strict=True):
        assert callback_of(teams.dialog(person)) == step_callback(step)
        response = teams.answer(person, as_sent(answers[step]))
        assert response.status == 200
        assert callback_of(response.dialog) == (step_callback(following) if following else CallbackId.REVIEW)


def outbox_rows(ctx) -> list[OutboxMessage]:
    """The outbox as written, read whole (payloads decrypted) before the session ends."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            _ = row.payload
        uow.session.expunge_all()
        return rows


def cases(ctx) -> list[Case]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        found = list(uow.session.scalars(select(Case)))
        for case in found:
            _ = case.answers
        uow.session.expunge_all()
        return found


def test_report_end_to_end(teams):
    opened = open_dialog(teams)
    assert opened.status == 200 and opened.title == "Report a YPSI concern"
    assert callback_of(opened.dialog) == step_callback("safety")
    walk_to_review(teams)

    review = teams.dialog(TEACHER)
    shown = texts(review)
    assert "the DSL will decide whether to refer now" in shown and "UKCIS 2024" in shown
    assert SENTINEL_PLATFORM in shown and "Aggravated" not in shown and "Experimental" not in shown
    sent = teams.press(TEACHER, "Send to the DSL")

    assert callback_of(sent.dialog) == CallbackId.SENT
    assert "YPSI-2026-0001" in texts(sent.dialog)
    [case] = cases(teams.ctx)
    assert (case.reference, case.academy_key, case.reporter_id) == (
        "YPSI-2026-0001",
        LARCHWOOD.key,
        TEACHER.id,
    )
    assert case.team_id == teams.settings.teams_tenant_id
    rows = outbox_rows(teams.ctx)
    assert [(r.kind, r.recipient_id) for r in rows] == [
        ("alert", LARCHWOOD.destination),
        ("receipt", TEACHER.id),
        ("principal", PRINCIPAL.id),
    ]
    assert teams.courier.handed == [r.id for r in rows]
    assert {r.state for r in outbox_rows(teams.ctx)} == {"delivered"}
    # The minimal card in the DSL channel; the receipt in the teacher's chat; the Principal's
    # card in a chat opened for them (no address was stored: they never wrote to the bot).
    [alert] = teams.connector.to(DSL_CHANNEL)
    assert "YPSI-2026-0001" in texts(alert.cards[0]) and LARCHWOOD.name in texts(alert.cards[0])
    assert "YPSI-2026-0001" in str(teams.connector.to(TEACHER.chat)[-1].body)
    [opened] = [s for s in teams.connector.sent if s.method == "create_conversation"]
    assert opened.body["members"][0]["id"] == PRINCIPAL.aad
    assert "YPSI-2026-0001" in str(teams.connector.to(opened.conversation_id)[-1].body)
    # "Done" closes the dialog; nothing anyone typed went into a chat or a channel.
    assert teams.press(TEACHER, "Done").body == ""
    chats = str([s.body for s in teams.connector.sent])
    for secret in (SENTINEL_NAME, SENTINEL_PLATFORM, "XYZZY", "15, 15"):
        assert secret not in chats


def test_submitting_twice_makes_one_case(teams):
    open_dialog(teams)
    walk_to_review(teams)
    review = teams.dialog(TEACHER)

    first = teams.press(TEACHER, "Send to the DSL")
    teams.dialogs[TEACHER.id] = review  # the same button pressed again (a double click)
    again = teams.press(TEACHER, "Send to the DSL")

    assert "YPSI-2026-0001" in texts(first.dialog) and "YPSI-2026-0001" in texts(again.dialog)
    assert len(cases(teams.ctx)) == 1
    assert [r.kind for r in outbox_rows(teams.ctx)].count("alert") == 1
    assert len(teams.connector.to(DSL_CHANNEL)) == 1


def test_a_wrong_answer_comes_back_on_the_same_card_with_what_was_typed(teams):
    open_dialog(teams)
    for step in STEPS[:2]:
        teams.answer(TEACHER, as_sent(ANSWERS[step]))
    typed = {**as_sent(ANSWERS["young_people"]), "count": "lots"}

    response = teams.answer(TEACHER, typed)

    card = response.dialog
    assert callback_of(card) == step_callback("young_people")
    assert "Please enter a whole number, like 2." in texts(card)
    inputs = {e["id"]: e for e in _inputs(card)}
    assert inputs["identifiers"]["value"] == SENTINEL_NAME  # kept, not lost with the error
    assert inputs["count"]["value"] == "lots"
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        draft = uow.session.scalar(select(Draft))
        assert draft.state == "young_people" and "young_people" not in draft.answers
    fixed = teams.answer(TEACHER, as_sent(ANSWERS["young_people"]))
    assert callback_of(fixed.dialog) == step_callback("sharing")


def test_urgent_alert_goes_before_the_report_is_finished(teams):
    open_dialog(teams)
    teams.answer(TEACHER, as_sent(ANSWERS["safety"]))

    response = teams.answer(TEACHER, {"immediate_risk": "yes"})

    assert callback_of(response.dialog) == step_callback("risk_actions")
    assert "999" in texts(response.dialog)  # the emergency contacts, under the questions
    [case] = cases(teams.ctx)
    assert case.urgent and case.submitted_at is None
    rows = outbox_rows(teams.ctx)
    assert [(r.kind, r.recipient_id) for r in rows] == [
        ("alert", LARCHWOOD.destination),
        ("principal", PRINCIPAL.id),
    ]
    assert teams.courier.handed == [r.id for r in rows]
    [alert] = teams.connector.to(DSL_CHANNEL)
    assert "URGENT" in texts(alert.cards[0]).upper() and PICK_UP in texts(alert.cards[0])


def test_back_shows_the_earlier_answers(teams):
    open_dialog(teams)
    for step in STEPS[:3]:
        teams.answer(TEACHER, as_sent(ANSWERS[step]))

    back = teams.press(TEACHER, "Back")

    assert callback_of(back.dialog) == step_callback("young_people")
    inputs = {e["id"]: e.get("value") for e in _inputs(back.dialog)}
    assert inputs["identifiers"] == SENTINEL_NAME and inputs["count"] == "2"


def test_a_draft_resumes_where_it_was_left(teams):
    open_dialog(teams)
    for step in STEPS[:3]:
        teams.answer(TEACHER, as_sent(ANSWERS[step]))
    teams.dialogs.clear()  # the dialog closed with Teams' ✕

    offer = open_dialog(teams)

    assert callback_of(offer.dialog) == CallbackId.RESUME
    assert "How it came to light" in texts(offer.dialog) or "sharing" in texts(offer.dialog).lower()
    carry_on = teams.press(TEACHER, "Carry on")
    assert callback_of(carry_on.dialog) == step_callback("sharing")


def test_start_again_discards_the_draft(teams):
    open_dialog(teams)
    for step in STEPS[:3]:
        teams.answer(TEACHER, as_sent(ANSWERS[step]))
    open_dialog(teams)

    fresh = teams.press(TEACHER, "Discard and start again")

    assert callback_of(fresh.dialog) == step_callback("safety")
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert sorted(d.status for d in uow.session.scalars(select(Draft))) == ["cancelled", "open"]


def test_someone_elses_draft_id_is_refused(teams):
    open_dialog(teams)
    for step in STEPS[:2]:
        teams.answer(TEACHER, as_sent(ANSWERS[step]))
    action = find_action(teams.dialog(TEACHER), "Next")
    forged = {**action["data"], **as_sent(ANSWERS["young_people"])}

    response = teams.dialog_submit(DSL, forged)

    assert "not available" in texts(response.dialog)
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Draft)).state == "young_people"


def test_someone_of_another_organisation_is_told_it_is_not_set_up(teams):
    activity = teams.activity(
        ROAMING,
        "invoke",
        tenant="0a0b0c0d-0000-4000-8000-0000000000ff",
        name="task/fetch",
        value={"data": {DataKey.ACTION: ActionId.REPORT_FROM_HOME}},
    )

    opened = teams.post(activity)

    assert "not set up" in texts(opened.dialog)
    assert "Next" not in [a.get("title") for a in actions_of(opened.dialog)]


def test_an_unlisted_member_of_the_academys_organisation_may_report(teams):
    opened = teams.dialog_open(ROAMING, {DataKey.ACTION: ActionId.REPORT_FROM_HOME})

    assert callback_of(opened.dialog) == step_callback("safety")


def test_a_button_the_dialog_never_drew_changes_nothing(teams):
    open_dialog(teams)
    teams.answer(TEACHER, as_sent(ANSWERS["safety"]))
    draft_id = find_action(teams.dialog(TEACHER), "Next")["data"][DataKey.DRAFT]

    response = teams.dialog_submit(
        TEACHER,
        {DataKey.CALLBACK: CallbackId.REVIEW, DataKey.ACTION: ActionId.SUBMIT, DataKey.DRAFT: draft_id},
    )

    assert callback_of(response.dialog) == step_callback("risk")
    assert cases(teams.ctx) == []


def _inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    from tests.teams.harness import walk

    ids = set(input_ids(card))
    return [e for e in walk(card) if e.get("id") in ids and str(e.get("type", "")).startswith("Input.")]
