"""The DSL side in Teams, end to end through signed activities against the fake Bot Connector
(SQLite and PostgreSQL): the alert card's Acknowledge and Open case, the case dialog and its
decision forms, "not yet" with what is missing, close and reopen, `cases` and `case REF`.

Case studies A and C go from the alert card to the audit chronology Slack's tests expect
(tests/test_slack_casework.py), through Teams activities only; what the DSL and the teacher
see is what the fake connector recorded and what the dialogs answered.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.ids import ActionId, CallbackId, decide_action, step_of
from bot.teams.ids import DataKey, time_input
from bot.teams.listeners.casework import CASE_USAGE
from bot.wording import ALREADY_ACKNOWLEDGED, CASE_REFUSED
from conversations.casefile.decisions import load_decisions
from conversations.dialogue import reports, routing
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case
from tests.answers import CASE_A, CASE_C, complete
from tests.slack.dialogue import SENTINEL_ACCOUNT, SENTINEL_NAME, SENTINEL_PLATFORM
from tests.teams.fake_connector import Sent
from tests.teams.fixtures import DEPUTY, DSL, DSL_CHANNEL, TEACHER
from tests.teams.harness import (
    TENANT,
    Person,
    Response,
    TeamsHarness,
    actions_of,
    find_action,
    input_ids,
    walk,
)
from tests.test_teams_report import as_sent, callback_of, open_dialog

PICKED_UP = "A DSL has picked up your report"
SENTINELS = (SENTINEL_NAME, "XYZZY", SENTINEL_PLATFORM, "evil.example")
WITH_SENTINELS = {
    **CASE_A,
    "young_people": {**CASE_A["young_people"], "identifiers": SENTINEL_NAME},
    "sharing": {**CASE_A["sharing"], "platform": SENTINEL_PLATFORM},
    "account": {"account": SENTINEL_ACCOUNT},
}
CLOSING = {"summary": "Plan followed", "support": "Tutor check-ins", "lessons": "None new"}
OPENED = ("case_opened", None)  # every case dialog shown is an audited opening


# --- helpers (the access and reminder tests use them too) ---------------------------------------


def report_in_dialog(teams: TeamsHarness, answers: dict[str, Any]) -> tuple[str, str]:
    """The teacher reports through the Teams dialog; the reference and the alert card's activity id."""
    open_dialog(teams)
    while (callback := callback_of(teams.dialog(TEACHER))) != CallbackId.REVIEW:
        teams.answer(TEACHER, as_sent(answers[step_of(callback)]))
    sent = teams.press(TEACHER, "Send to the DSL")
    assert callback_of(sent.dialog) == CallbackId.SENT
    return latest_case(teams), alert_of(teams).activity_id


def report(teams: TeamsHarness, answers: dict[str, Any] = CASE_A) -> tuple[str, str]:
    """A report sent straight through the services (its rows delivered by the Teams courier); the
    teacher has the app installed, so the receipt and notices arrive in their chat."""
    teams.install(TEACHER)
    draft = complete(teams.ctx, TEACHER.id, TENANT, answers)
    sent = reports.submit(teams.ctx, draft.id, TEACHER.id)
    teams.courier.send(sent.messages)
    teams.courier.drain()
    return sent.reference, alert_of(teams).activity_id


def seen(card: dict[str, Any]) -> str:
    """The card as a person reads it, one line per text, rich line (its runs joined), fact, button."""
    lines = []
    for e in walk(card):
        kind = e.get("type")
        if kind in ("TextBlock",) or str(kind).startswith("Action.") and "title" in e:
            lines.append(e.get("text") or e.get("title", ""))
        elif kind == "RichTextBlock":
            lines.append("".join(run.get("text", "") for run in e.get("inlines", [])))
        elif kind == "FactSet":
            lines += [f"{f['title']}: {f['value']}" for f in e["facts"]]
    return "\n".join(lines)


def latest_case(teams: TeamsHarness) -> str:
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        return uow.session.scalars(select(Case.reference).order_by(Case.id.desc())).first()


def alert_of(teams: TeamsHarness) -> Sent:
    return [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send"][-1]


def card_now(teams: TeamsHarness, conversation: str, activity_id: str) -> dict[str, Any]:
    """The card as the conversation shows it now: the last update of the activity, or as posted."""
    versions = [s for s in teams.connector.to(conversation) if s.activity_id == activity_id]
    return versions[-1].cards[0]


def updates(teams: TeamsHarness, conversation: str = DSL_CHANNEL) -> list[Sent]:
    return [s for s in teams.connector.to(conversation) if s.method == "update"]


def button(card: dict[str, Any], action: str) -> dict[str, Any]:
    """The data of the button whose action is `action` (or starts with it, ending in ':')."""
    found = [
        a["data"]
        for a in actions_of(card)
        if isinstance(a.get("data"), dict)
        and (
            a["data"].get(DataKey.ACTION) == action
            or str(a["data"].get(DataKey.ACTION)).startswith(action + ":")
        )
    ]
    assert found, f"no {action} on the card: {[a.get('title') for a in actions_of(card)]}"
    return found[0]


def click(
    teams: TeamsHarness,
    person: Person,
    data: dict[str, Any],
    *,
    conversation: str = DSL_CHANNEL,
    reply_to: str = "",
    personal: bool = False,
) -> Response:
    """A card button pressed in a conversation: the adaptiveCard/action invoke Teams sends."""
    value = {"action": {"type": "Action.Submit", "data": data}, "trigger": "manual"}
    extra = {"replyToId": reply_to} if reply_to else {}
    activity = teams.activity(
        person,
        "invoke",
        name="adaptiveCard/action",
        value=value,
        conversation=conversation,
        personal=personal,
        **extra,
    )
    return teams.post(activity)


def said(response: Response) -> str:
    """The message a card invoke answered with (only the clicker sees it)."""
    body = response.json
    assert body.get("type") == "application/vnd.microsoft.activity.message", response.body
    return body["value"]


def open_from_card(teams: TeamsHarness, person: Person, alert_id: str) -> Response:
    opened = teams.dialog_open(person, button(card_now(teams, DSL_CHANNEL, alert_id), ActionId.OPEN_CASE))
    assert opened.status == 200
    return opened


def filled(card: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """What Teams submits: every input's prefilled value, then what the person typed over it."""
    sent = {
        e["id"]: e["value"]
        for e in walk(card)
        if str(e.get("type", "")).startswith("Input.") and "value" in e
    }
    for key, value in values.items():
        if isinstance(value, list):
            sent[key] = ",".join(value)
        elif isinstance(value, str) and " " in value and time_input(key) in input_ids(card):
            sent[key], sent[time_input(key)] = value.split(" ", 1)
        else:
            sent[key] = value
    return sent


def decide(
    teams: TeamsHarness, reference: str, key: str, values: dict[str, Any] | None = None, person: Person = DSL
) -> dict[str, Any]:
    """Press the decision's button in the case dialog, fill in its form, record it: the case shown."""
    offered = button(teams.dialog(person), decide_action(key))
    opened = teams.dialog_submit(person, offered)
    assert opened.title == f"Case {reference}"
    form = opened.dialog
    record = button(form, ActionId.SUBMIT)
    assert (record[DataKey.CASE], record[DataKey.DECISION]) == (reference, key)
    answer = teams.dialog_submit(person, {**record, **filled(form, values or {})})
    assert "Recorded:" in seen(answer.dialog), seen(answer.dialog)[:600]
    return answer.dialog


def decisions_offered(card: dict[str, Any]) -> list[str]:
    return [
        a["data"][DataKey.ACTION].split(":", 1)[1]
        for a in actions_of(card)
        if str((a.get("data") or {}).get(DataKey.ACTION, "")).startswith(ActionId.DECIDE + ":")
    ]


def chronology(ctx, reference: str) -> list[tuple[str, str | None]]:
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == reference))
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
        )
        return [(e.action, e.to_state) for e in events]


def status_of(alert: dict[str, Any]) -> str:
    """The Status line of an alert card."""
    return next(f["value"] for e in walk(alert) for f in e.get("facts", []) if f["title"] == "Status")


def told_teacher(teams: TeamsHarness) -> list[str]:
    return [t for t in teams.connector.texts(TEACHER.chat) if PICKED_UP in t]


# --- the journeys ---------------------------------------------------------------------------------


def test_case_study_a_through_teams(teams):
    ctx = teams.ctx
    teams.install(TEACHER)  # the teacher's chat is known: the receipt and notices go there
    ref, alert = report_in_dialog(teams, WITH_SENTINELS)
    acknowledge = button(card_now(teams, DSL_CHANNEL, alert), ActionId.ACKNOWLEDGE)

    first = click(teams, DSL, acknowledge, reply_to=alert)
    again = click(teams, DSL, acknowledge, reply_to=alert)  # a double click

    assert said(first).startswith("Recorded:") and "Acknowledged" in said(first)
    assert said(again) == ALREADY_ACKNOWLEDGED
    opened = open_from_card(teams, DSL, alert)
    assert opened.title == f"Case {ref}"
    case = seen(opened.dialog)
    assert SENTINEL_NAME in case and "Experimental: romantic" in case  # the DSL sees the record
    decide(teams, ref, "principal_informed")
    decide(teams, ref, "initial_review", {"attendees": "DSL, form tutor", "summary": "No wider concerns"})
    decide(
        teams,
        ref,
        "managed_in_school",
        {"referral_decision": "none", "reason": "Both 15, in a relationship", "plan": "Advise both"},
    )
    decide(
        teams,
        ref,
        "further_review",
        {
            "interview": "held",
            "interviewed_on": "2026-11-23",
            "interviewed_by": DSL.id,
            "interviewer": "dsl",
            "why_shared": "Asked by her boyfriend",
            "who_where": "Sent to him only",
            "adults": "No",
            "impact": "Worried",
            "vulnerabilities": "None known",
            "consent": "Yes",
            "previous": "No",
            "online": "no",
            "containment": ["deletion_asked"],
        },
    )
    decide(teams, ref, "parents_informed", {"how": "in_person"})
    decide(teams, ref, "deletion_requested", {"deadline": "2026-11-25", "young_people": "Pupil B"})
    form = teams.dialog_submit(DSL, button(teams.dialog(DSL), decide_action("deletion_confirmed"))).dialog
    [ticks] = [e for e in walk(form) if e.get("id") == "deletions"]
    assert [c["title"] for c in ticks["choices"]] == ["Pupil B"]
    teams.press(DSL, "Back to the case")
    decide(teams, ref, "deletion_confirmed", {"deletions": [ticks["choices"][0]["value"]]})
    closed = decide(teams, ref, "closed", CLOSING)
    assert "Closed" in seen(closed) and "reopened" in decisions_offered(closed)

    assert chronology(ctx, ref) == [
        ("case_created", "reported"),
        ("report_submitted", "reported"),
        ("acknowledged", "acknowledged"),  # the double click recorded nothing
        OPENED,
        ("principal_informed", "acknowledged"),
        OPENED,
        ("initial_review", "in_review"),
        OPENED,
        ("managed_in_school", "managed_in_school"),
        OPENED,
        ("further_review", "managed_in_school"),
        OPENED,
        ("parents_informed", "parents_decided"),
        OPENED,
        ("deletion_requested", "deletion_requested"),
        OPENED,
        OPENED,  # Back to the case from the deletion form
        ("deletion_confirmed", "deletion_requested"),
        ("all_deletions_confirmed", "deletion_confirmed"),
        OPENED,
        ("closed", "closed"),
        OPENED,
    ]
    with ctx.db.unit_of_work() as uow:
        assert audit.verify(uow.session)[1] == []

    # The alert card, posted once, updated in place after each change of status.
    posts = [s for s in teams.connector.to(DSL_CHANNEL) if s.method == "send"]
    changed = updates(teams)
    assert len(posts) == 1 and len(changed) == 9  # acknowledged + 8 decisions that followed
    assert {u.activity_id for u in changed} == {alert}
    assert status_of(changed[0].cards[0]) == "Acknowledged"
    assert ActionId.ACKNOWLEDGE not in json.dumps(changed[0].cards[0])
    assert status_of(changed[-1].cards[0]) == "Closed"
    for message in [*posts, *changed]:
        for secret in SENTINELS:
            assert secret not in json.dumps(message.body)
    told = told_teacher(teams)
    assert len(told) == 1 and ref in told[0]


def test_case_study_c_close_refused_with_what_is_missing_then_reopen(teams):
    ref, alert = report(teams, CASE_C)
    click(teams, DSL, button(card_now(teams, DSL_CHANNEL, alert), ActionId.ACKNOWLEDGE), reply_to=alert)
    case = seen(open_from_card(teams, DSL, alert).dialog)
    assert (
        "Before it can close: record that the Principal was informed; hold the initial review meeting"
        " (it confirms the category); record the referral decision" in case
    )
    assert "closed" not in decisions_offered(teams.dialog(DSL))  # not offered this early
    # Forcing a close anyway (a decision form for "closed", submitted) is refused with what is missing.
    forced = teams.dialog_submit(
        DSL,
        {
            DataKey.CALLBACK: CallbackId.DECISION,
            DataKey.ACTION: ActionId.SUBMIT,
            DataKey.CASE: ref,
            "decision": "closed",
            **CLOSING,
        },
    )
    assert "Still missing" in seen(forced.dialog) and "Record the parents/carers decision" in seen(
        forced.dialog
    )
    assert routing.load_alert(teams.ctx, ref).status == "acknowledged"

    teams.press(DSL, "Back to the case")
    decide(teams, ref, "referred", {"agency": "police", "agency_reference": "MASH-1", "reason": "Risk"})
    decide(
        teams,
        ref,
        "parents_not_informed",
        {"risk": "risk_of_harm", "agreed_with": "police", "agreed_by": "DS Smith", "reason": "Police lead"},
    )
    decide(teams, ref, "deletion_not_required", {"ground": "police_evidence", "reason": "Phone held"})
    case = seen(teams.dialog(DSL))
    assert (
        "Close the case: not yet. Record first: record that the Principal was informed; hold the"
        " initial review meeting (it confirms the category); record the written referral (MARF) sent."
    ) in case
    not_yet = teams.dialog_submit(DSL, button(teams.dialog(DSL), decide_action("closed"))).dialog
    assert "Still missing:" in seen(not_yet)
    assert "• Record that the Principal was informed\n• Hold the initial review meeting" in seen(not_yet)
    assert routing.load_alert(teams.ctx, ref).status == "deletion_waived"

    teams.press(DSL, "Back to the case")
    changed = decide(
        teams, ref, "category_changed", {"category": "intent_to_harm", "category_reason": "Police"}
    )
    assert "hold the initial review meeting" in seen(changed)
    decide(teams, ref, "principal_informed")
    decide(teams, ref, "initial_review", {"attendees": "DSL", "summary": "s", "category_reason": "Police"})
    decide(teams, ref, "referral_follow_up", {"form": "marf"})
    decide(teams, ref, "closed", CLOSING)
    reopened = decide(teams, ref, "reopened", {"reason": "New images reported"})
    assert "Reopened" in seen(reopened)
    assert "initial_review" in decisions_offered(reopened) and "reopened" not in decisions_offered(reopened)
    assert routing.load_alert(teams.ctx, ref).status == "reopened"
    assert status_of(updates(teams)[-1].cards[0]) == "Reopened"


def test_a_wrong_answer_comes_back_on_the_form_with_what_was_typed(teams):
    ref, alert = report(teams)
    click(teams, DSL, {DataKey.ACTION: ActionId.ACKNOWLEDGE, DataKey.VALUE: ref}, reply_to=alert)
    open_from_card(teams, DSL, alert)
    form = teams.dialog_submit(DSL, button(teams.dialog(DSL), decide_action("initial_review"))).dialog
    answer = teams.dialog_submit(
        DSL, {**button(form, ActionId.SUBMIT), **filled(form, {"attendees": "DSL and tutor", "summary": ""})}
    ).dialog
    assert "Some answers need checking" in seen(answer) or "check" in seen(answer).lower()
    assert [e.get("value") for e in walk(answer) if e.get("id") == "attendees"] == ["DSL and tutor"]
    assert routing.load_alert(teams.ctx, ref).status == "acknowledged"


def test_an_illegal_decision_is_not_offered_and_refused_if_forced(teams):
    ref, alert = report(teams)
    offered = decisions_offered(open_from_card(teams, DSL, alert).dialog)
    assert "acknowledged" in offered and "managed_in_school" not in offered
    forced = teams.dialog_submit(
        DSL,
        {
            DataKey.CALLBACK: CallbackId.CASE,
            DataKey.ACTION: decide_action("managed_in_school"),
            DataKey.CASE: ref,
        },
    )
    assert "not possible at this stage" in seen(forced.dialog)
    assert routing.load_alert(teams.ctx, ref).status == "reported"


def test_acknowledging_in_the_case_dialog_tells_the_teacher_once(teams):
    ref, alert = report(teams)
    open_from_card(teams, DSL, alert)
    decide(teams, ref, "acknowledged")
    second = click(teams, DEPUTY, {DataKey.ACTION: ActionId.ACKNOWLEDGE, DataKey.VALUE: ref}, reply_to=alert)
    assert said(second) == ALREADY_ACKNOWLEDGED
    assert len(told_teacher(teams)) == 1
    assert routing.load_alert(teams.ctx, ref).owner_id == DSL.id


def test_a_click_arriving_as_a_message_updates_the_card_and_says_nothing_more(teams):
    """Teams sends an Action.Submit on a message as a message carrying the button's data."""
    ref, alert = report(teams)
    data = button(card_now(teams, DSL_CHANNEL, alert), ActionId.ACKNOWLEDGE)

    def press() -> None:
        activity = teams.activity(DSL, "message", conversation=DSL_CHANNEL, personal=False, value=data)
        assert teams.post(activity).status == 200

    press()
    assert routing.load_alert(teams.ctx, ref).owner_id == DSL.id
    [update] = updates(teams)
    assert update.activity_id == alert and status_of(update.cards[0]) == "Acknowledged"
    assert "Acknowledge" not in [a.get("title") for a in actions_of(update.cards[0])]
    assert teams.connector.texts(DSL_CHANNEL) == [""]  # only the card: the change shows on it
    assert len(told_teacher(teams)) == 1
    press()
    assert teams.connector.texts(DSL_CHANNEL)[-1] == ALREADY_ACKNOWLEDGED
    assert len(updates(teams)) == 1


def test_a_decision_form_with_a_date_and_time_comes_back_with_errors(teams):
    ref, alert = report(teams)
    opened = teams.dialog_open(
        DSL, find_action(card_now(teams, DSL_CHANNEL, alert), f"Open case {ref}")["data"]
    )
    assert opened.title == f"Case {ref}"
    teams.press(DSL, "Acknowledge")
    assert "Recorded: Acknowledge" in seen(teams.press(DSL, "Record").dialog)
    form = teams.press(DSL, "Principal informed")
    assert "SUAT 2019" in seen(form.dialog)
    assert f"Case {ref}" in seen(teams.press(DSL, "Back to the case").dialog)
    teams.press(DSL, "Principal informed")
    wrong = teams.press(DSL, "Record", {"informed_at": "not a date", time_input("informed_at"): "10:00"})
    assert callback_of(wrong.dialog) == CallbackId.DECISION
    assert "Some answers need checking" in seen(wrong.dialog)
    recorded = teams.press(DSL, "Record", {"informed_at": "2026-11-23", time_input("informed_at"): "09:30"})
    assert "Recorded: Principal informed" in seen(recorded.dialog)
    assert callback_of(recorded.dialog) == CallbackId.CASE


def test_status_lists_the_reporter_s_own_reports(teams):
    ref, _ = report(teams)
    teams.message(TEACHER, "status")
    assert ref in teams.connector.texts(TEACHER.chat)[-1]


def test_cases_and_case_ref_for_a_dsl(teams):
    ref, _ = report(teams)
    teams.message(DSL, "cases")
    listed = teams.connector.to(DSL.chat)[-1].cards[0]
    assert ref in seen(listed) and "Open cases (1)" in seen(listed)
    assert SENTINEL_NAME not in json.dumps(listed)
    opened = teams.dialog_open(DSL, button(listed, ActionId.OPEN_CASE))
    assert opened.title == f"Case {ref}" and "Record a decision" in seen(opened.dialog)

    teams.message(DSL, f"case {ref.lower()}")
    answer = teams.connector.to(DSL.chat)[-1].cards[0]
    assert f"Case {ref}" in seen(answer) and "Timeline" not in seen(answer)  # only a button to open it
    assert teams.dialog_open(DSL, button(answer, ActionId.OPEN_CASE)).title == f"Case {ref}"

    teams.message(DSL, "case")
    assert teams.connector.texts(DSL.chat)[-1] == CASE_USAGE
    teams.message(DSL, "case YPSI-2026-9999")
    assert teams.connector.texts(DSL.chat)[-1] == CASE_REFUSED


def test_the_deletion_check_goes_from_the_case_dialog(teams):
    ref, alert = report(teams, CASE_A)
    click(teams, DSL, {DataKey.ACTION: ActionId.ACKNOWLEDGE, DataKey.VALUE: ref}, reply_to=alert)
    open_from_card(teams, DSL, alert)
    decide(teams, ref, "principal_informed")
    decide(teams, ref, "initial_review", {"attendees": "DSL", "summary": "s"})
    decide(teams, ref, "managed_in_school", {"referral_decision": "none", "reason": "r", "plan": "p"})
    decide(teams, ref, "parents_informed", {"how": "in_person"})
    case = decide(teams, ref, "deletion_requested", {"deadline": "2026-11-25", "young_people": "Pupil B"})
    send = button(case, ActionId.SEND_DELETION_CHECK)
    [picker] = [e for e in walk(case) if e.get("id") == ActionId.DELETION_CHECK_TO]
    assert picker["value"] == TEACHER.id
    sent = teams.dialog_submit(DSL, {**send, ActionId.DELETION_CHECK_TO: TEACHER.id})
    assert "Deletion check sent by direct message" in seen(sent.dialog)
    assert chronology(teams.ctx, ref)[-2] == ("deletion_check_requested", None)


def test_every_decision_form_fits_and_offers_only_its_inputs(teams):
    ref, alert = report(teams)
    open_from_card(teams, DSL, alert)
    for key in decisions_offered(teams.dialog(DSL)):
        form = teams.dialog_submit(DSL, button(teams.dialog(DSL), decide_action(key))).dialog
        fields = [f.key for f in load_decisions().get(key).fields]
        assert [i for i in input_ids(form) if ":" not in i] == fields
        teams.press(DSL, "Back to the case")
