"""The DSL side in Slack, end to end over signed HTTP against the fake Web API.

Case studies A and C go from the alert card to their expected audit chronology through Slack
payloads only; others are refused everywhere, audited, and shown nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.ids import ActionId, CallbackId, decide_action
from bot.slack.ids import BlockId
from bot.slack.views.case import case_view, decision_view
from bot.wording import ALREADY_ACKNOWLEDGED, CASE_REFUSED
from conversations.casefile import casework
from conversations.casefile.decisions import load_decisions
from conversations.dialogue import reports, routing
from conversations.guidance.policy import load_guidance
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case
from tests.answers import CASE_A, CASE_C, complete
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER
from tests.slack.dialogue import SENTINEL_ACCOUNT, SENTINEL_NAME, SENTINEL_PLATFORM, walk_to_review
from tests.slack.fake_api import TEAM, dm_channel

DSL = OAKFIELD.dsl_users[0]
DEPUTY = OAKFIELD.deputy_users[0]
OTHER_DSL = RIVERSIDE.dsl_users[0]
CHANNEL = OAKFIELD.dsl_channel
PICKED_UP = "A DSL has picked up your report"
# Pupil details and free text typed by the teacher: never on the card.
SENTINELS = (SENTINEL_NAME, "XYZZY", SENTINEL_PLATFORM, "evil.example")
WITH_SENTINELS = {
    **CASE_A,
    "young_people": {**CASE_A["young_people"], "identifiers": SENTINEL_NAME},
    "sharing": {**CASE_A["sharing"], "platform": SENTINEL_PLATFORM},
    "account": {"account": SENTINEL_ACCOUNT},
}


CATEGORIES = {c.key: c.label for c in load_guidance().categories}
CLOSING = {"summary": "Plan followed", "support": "Tutor check-ins", "lessons": "None new"}


def report(slack, answers) -> tuple[str, str]:
    """The teacher sends a report; returns its reference and the card's ts."""
    slack.command(TEACHER, "report")
    walk_to_review(slack, answers=answers)
    sent = slack.submit_view(TEACHER)
    reference = sent.json["view"]["blocks"][1]["text"]["text"].split("*")[1]
    return reference, routing.load_alert(slack.ctx, reference).alert_ts


def open_from_card(slack, user, ref, ts):
    slack.click_message(user, CHANNEL, ts, ActionId.OPEN_CASE, ref)
    assert slack.view(user)["callback_id"] == CallbackId.CASE


def action_ids(view) -> list[str]:
    ids = []
    for block in view["blocks"]:
        ids += [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
        if "accessory" in block:
            ids.append(block["accessory"]["action_id"])
    return ids


def decide(slack, ref, key, values=None, user=DSL):
    """Press the decision's button in the case modal, fill its modal, record it."""
    assert decide_action(key) in action_ids(slack.view(user)), f"{key} not offered"
    slack.click(user, decide_action(key), ref)
    form = slack.view(user)
    assert form["callback_id"] == CallbackId.DECISION
    assert json.loads(form["private_metadata"]) == {"case": ref, "decision": key}
    ack = slack.submit_view(user, values or {})
    assert ack.json.get("response_action") == "update", ack.body
    assert ack.json["view"]["callback_id"] == CallbackId.CASE
    assert "Recorded:" in str(ack.json["view"]["blocks"][1])
    return ack.json["view"]


def chronology(ctx, ref) -> list[tuple[str, str | None]]:
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
        )
        return [(e.action, e.to_state) for e in events]


# Each decision recorded in the modal is followed by the refreshed case: an audited opening.
OPENED = ("case_opened", None)


def card_calls(slack):
    posts = [c.params for c in slack.api.calls("chat.postMessage") if c.params["channel"] == CHANNEL]
    updates = [c.params for c in slack.api.calls("chat.update")]
    return posts, updates


def epoch(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_case_study_a_through_slack(ctx, slack):
    ref, ts = report(slack, WITH_SENTINELS)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)  # a double click
    assert slack.api.calls("response_url")[-1].params["text"] == ALREADY_ACKNOWLEDGED
    open_from_card(slack, DSL, ref, ts)
    case = str(slack.view(DSL))
    assert SENTINEL_NAME in case and "Experimental: romantic" in case  # the DSL sees the record
    decide(slack, ref, "principal_informed")
    decide(slack, ref, "initial_review", {"attendees": "DSL, form tutor", "summary": "No wider concerns"})
    decide(
        slack,
        ref,
        "managed_in_school",
        {"referral_decision": "none", "reason": "Both 15, in a relationship", "plan": "Advise both"},
    )
    decide(
        slack,
        ref,
        "further_review",
        {
            "interview": "held",
            "interviewed_on": "2026-11-23",
            "interviewed_by": DSL,
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
    decide(slack, ref, "parents_informed", {"how": "in_person"})
    decide(slack, ref, "deletion_requested", {"deadline": "2026-11-25", "young_people": "Pupil B"})
    slack.click(DSL, decide_action("deletion_confirmed"), ref)
    ticks = next(b for b in slack.view(DSL)["blocks"] if b.get("block_id") == "deletions")["element"]
    assert [o["text"]["text"] for o in ticks["options"]] == ["Pupil B"]
    slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    decide(slack, ref, "deletion_confirmed", {"deletions": [ticks["options"][0]["value"]]})
    closed = decide(slack, ref, "closed", CLOSING)
    assert "Closed" in str(closed["blocks"][:4]) and decide_action("reopened") in action_ids(closed)

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

    posts, updates = card_calls(slack)
    assert len(posts) == 1 and len(updates) == 9  # acknowledged + 8 decisions that followed
    assert {(u["channel"], u["ts"]) for u in updates} == {(CHANNEL, ts)}
    assert "Acknowledged" in str(updates[0]["blocks"]) and f"<@{DSL}>" in str(updates[0]["blocks"])
    assert "*Status:*\\nClosed" in json.dumps(updates[-1]["blocks"])
    assert ActionId.ACKNOWLEDGE not in json.dumps(updates[0]["blocks"])
    for message in [*posts, *updates]:
        for secret in SENTINELS:
            assert secret not in json.dumps(message)
    told = [p for p in slack.api.posted(dm_channel(TEACHER)) if PICKED_UP in p["text"]]
    assert len(told) == 1 and ref in told[0]["text"]


def test_case_study_c_through_slack(ctx, slack, clock):
    ref, ts = report(slack, CASE_C)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    open_from_card(slack, DEPUTY, ref, ts)
    slack.click(DEPUTY, decide_action("initial_review"), ref)
    errors = slack.submit_view(
        DEPUTY, {"attendees": "DSL", "summary": "Break-up", "category": "reckless_misuse"}
    )
    assert errors.json == {
        "response_action": "errors",
        "errors": {"category_reason": "The category differs from the suggestion: please say why."},
    }
    slack.submit_view(
        DEPUTY,
        {
            "attendees": "DSL, head of year",
            "summary": "She denies forwarding",
            "category": "reckless_misuse",
            "category_reason": "ESAS view",
        },
    )
    decide(
        slack,
        ref,
        "advice_sought",
        {"service": "esas", "adviser": "Duty adviser", "advised_on": "2026-11-23"},
        user=DEPUTY,
    )
    referred = decide(
        slack,
        ref,
        "referred",
        {
            "agency": "social_care",
            "agency_reference": "FR-2026-7781",
            "referred_at": epoch(2026, 11, 23, 9, 30),
            "reason": "Pictures forwarded after a break-up",
        },
        user=DEPUTY,
    )
    text = json.dumps(referred)
    assert "FR-2026-7781" in text and "Mon 23 Nov 2026 09:30" in text
    assert "Send the written referral (MARF) by Wed 25 Nov 2026 09:30" in text
    clock.advance(hours=49)
    listed = slack.command(DSL, "cases")
    assert "Overdue:* Send the written referral (MARF)" in listed.body and ref in listed.body
    decide(slack, ref, "parents_informed", {"how": "phone"}, user=DEPUTY)
    after = decide(slack, ref, "referral_follow_up", {"form": "marf"}, user=DEPUTY)
    assert "Overdue" not in json.dumps(after)
    assert chronology(ctx, ref) == [
        ("case_created", "reported"),
        ("report_submitted", "reported"),
        ("principal_alerted", None),  # aggravated: the Principal is told, once
        ("acknowledged", "acknowledged"),
        OPENED,
        ("initial_review", "in_review"),
        OPENED,
        ("advice_sought", "in_review"),
        OPENED,
        ("referred", "referred"),
        OPENED,
        ("parents_informed", "parents_decided"),
        OPENED,
        ("referral_follow_up", "parents_decided"),
        OPENED,
    ]
    posts, updates = card_calls(slack)
    assert len(posts) == 1 and len(updates) == 6 and {u["ts"] for u in updates} == {ts}
    assert "Referred" in json.dumps(updates[3]["blocks"])


def test_close_refused_with_what_is_missing_then_reopen(slack, sqlite_ctx):
    ref, ts = report(slack, CASE_C)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    open_from_card(slack, DSL, ref, ts)
    case = json.dumps(slack.view(DSL))
    assert (
        "Before it can close:* record that the Principal was informed; hold the initial review meeting"
        " (it confirms the category); record the referral decision" in case
    )
    assert decide_action("closed") not in action_ids(slack.view(DSL))  # not offered this early
    # Forcing a close anyway (a decision modal for "closed") is refused with what is missing.
    forced = slack.submission(DSL)
    forced["view"] = {**forced["view"], "callback_id": CallbackId.DECISION}
    forced["view"]["private_metadata"] = json.dumps({"case": ref, "decision": "closed"})
    answer = slack.interact(forced)
    assert answer.json["view"]["callback_id"] == CallbackId.NOTICE
    assert "Still missing" in answer.body and "Record the parents/carers decision" in answer.body

    slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    decide(slack, ref, "referred", {"agency": "police", "agency_reference": "MASH-1", "reason": "Risk"})
    decide(
        slack,
        ref,
        "parents_not_informed",
        {"risk": "risk_of_harm", "agreed_with": "police", "agreed_by": "DS Smith", "reason": "Police lead"},
    )
    decide(slack, ref, "deletion_not_required", {"ground": "police_evidence", "reason": "Phone held"})
    blocked = next(
        b
        for b in slack.view(DSL)["blocks"]
        if b.get("accessory", {}).get("action_id") == decide_action("closed")
    )
    assert blocked["text"]["text"] == (
        "*Close the case*: not yet. Record first: record that the Principal was informed; hold the"
        " initial review meeting (it confirms the category); record the written referral (MARF) sent."
    )
    slack.click(DSL, decide_action("closed"), ref)
    not_yet = slack.view(DSL)
    assert not_yet["callback_id"] == CallbackId.NOTICE
    assert (
        "*Still missing:*\n• Record that the Principal was informed\n• Hold the initial review meeting"
        in not_yet["blocks"][2]["text"]["text"]
    )
    assert routing.load_alert(sqlite_ctx, ref).status == "deletion_waived"

    slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    # A change of category does not stand for the initial review meeting.
    changed = decide(
        slack, ref, "category_changed", {"category": "intent_to_harm", "category_reason": "Police"}
    )
    assert "hold the initial review meeting" in json.dumps(changed)
    decide(slack, ref, "principal_informed")
    decide(slack, ref, "initial_review", {"attendees": "DSL", "summary": "s", "category_reason": "Police"})
    decide(slack, ref, "referral_follow_up", {"form": "marf"})
    decide(slack, ref, "closed", CLOSING)
    reopened = decide(slack, ref, "reopened", {"reason": "New images reported"})
    assert "Reopened" in json.dumps(reopened["blocks"][:4])
    assert decide_action("initial_review") in action_ids(reopened)
    assert decide_action("reopened") not in action_ids(reopened)
    assert routing.load_alert(sqlite_ctx, ref).status == "reopened"


def test_an_illegal_decision_is_not_offered_and_refused_if_forced(slack, sqlite_ctx):
    ref, ts = report(slack, CASE_A)
    open_from_card(slack, DSL, ref, ts)
    offered = action_ids(slack.view(DSL))
    assert decide_action("acknowledged") in offered and decide_action("managed_in_school") not in offered
    slack.click(DSL, decide_action("managed_in_school"), ref)
    assert "not possible at this stage" in json.dumps(slack.view(DSL))
    assert routing.load_alert(sqlite_ctx, ref).status == "reported"


def test_acknowledging_in_the_case_modal_tells_the_teacher_once(slack, sqlite_ctx):
    ref, ts = report(slack, CASE_A)
    open_from_card(slack, DSL, ref, ts)
    decide(slack, ref, "acknowledged")
    slack.click_message(DEPUTY, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    told = [p for p in slack.api.posted(dm_channel(TEACHER)) if PICKED_UP in p["text"]]
    assert len(told) == 1
    assert routing.load_alert(sqlite_ctx, ref).owner_id == DSL


@pytest.mark.parametrize("intruder", [TEACHER, OTHER_DSL])
def test_others_are_refused_everywhere_audited_and_shown_nothing(slack, sqlite_ctx, intruder):
    ref, ts = report(slack, WITH_SENTINELS)
    open_from_card(slack, DSL, ref, ts)
    start = len(slack.api.calls())
    attempts = 0

    def forged_click(action_id: str) -> None:
        slack.interact(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": intruder, "team_id": TEAM},
                "api_app_id": "A0YPSIAPP0",
                "trigger_id": f"9.{intruder}.trigger",
                "container": {"type": "view", "view_id": "VFORGED01"},
                "view": {"id": "VFORGED01", "type": "modal", "callback_id": CallbackId.CASE, "blocks": []},
                "actions": [{"type": "button", "action_id": action_id, "value": ref, "action_ts": "1"}],
            }
        )

    for action in (ActionId.ACKNOWLEDGE, ActionId.OPEN_CASE):
        slack.click_message(intruder, CHANNEL, ts, action, ref)
        assert slack.api.calls()[-1].method == "response_url"
        assert slack.api.calls()[-1].params["text"] == CASE_REFUSED
        attempts += 1
    for key in load_decisions().by_key:
        forged_click(decide_action(key))
        attempts += 1
    forged_click(ActionId.BACK_TO_CASE)
    attempts += 1
    for key in ("acknowledged", "note", "closed"):
        submission = {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": intruder, "team_id": TEAM},
            "api_app_id": "A0YPSIAPP0",
            "view": {
                "id": "VFORGED02",
                "type": "modal",
                "callback_id": CallbackId.DECISION,
                "private_metadata": json.dumps({"case": ref, "decision": key}),
                "state": {"values": {"note": {"note": {"type": "plain_text_input", "value": "x"}}}},
            },
        }
        answer = slack.interact(submission)
        assert answer.json["view"]["callback_id"] == CallbackId.NOTICE and CASE_REFUSED in answer.body
        attempts += 1
    assert slack.command(intruder, f"case {ref}").text == CASE_REFUSED
    attempts += 1
    # An unknown reference reads the same, and is not an audited case event.
    assert slack.command(intruder, "case YPSI-2026-9999").text == CASE_REFUSED

    shown = slack.api.calls()[start:]
    assert not [c for c in shown if c.method in ("chat.update", "chat.postMessage", "views.push")]
    for call in shown:
        text = json.dumps(call.params)
        assert SENTINEL_NAME not in text and "Timeline" not in text and "Case YPSI" not in text
    with sqlite_ctx.db.unit_of_work() as uow:
        refused = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access_refused").order_by(AuditEvent.id)
        ).all()
        assert len(refused) == attempts and {e.actor_id for e in refused} == {intruder}
        case = uow.session.scalar(select(Case))
        assert {e.case_id for e in refused} == {case.id}
        assert (case.state, case.owner_id, case.decisions) == ("reported", None, {})
    assert not [p for p in slack.api.posted(dm_channel(TEACHER)) if PICKED_UP in p["text"]]


def test_malformed_metadata_is_refused_without_a_trace_of_the_case(slack, sqlite_ctx):
    ref, _ = report(slack, CASE_A)
    for metadata in ("", "not json", json.dumps({"case": ref}), json.dumps({"case": 1, "decision": []})):
        answer = slack.interact(
            {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": DSL, "team_id": TEAM},
                "api_app_id": "A0YPSIAPP0",
                "view": {
                    "id": "VFORGED03",
                    "type": "modal",
                    "callback_id": CallbackId.DECISION,
                    "private_metadata": metadata,
                    "state": {"values": {}},
                },
            }
        )
        assert answer.status == 200 and CASE_REFUSED in answer.body
    assert routing.load_alert(sqlite_ctx, ref).status == "reported"


def test_commands_for_dsls_and_refusals(slack, sqlite_ctx, clock):
    first, _ = report(slack, CASE_C)
    second, ts = report(slack, CASE_A)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, second)
    assert slack.command(TEACHER, "cases").text == CASE_REFUSED
    assert "no open cases" in slack.command(OTHER_DSL, "cases").text
    listed = slack.command(DEPUTY, "cases").json
    lines = [b for b in listed["blocks"] if "accessory" in b]
    assert [b["accessory"]["value"] for b in lines] == [first, second]
    assert all(b["accessory"]["action_id"] == ActionId.OPEN_CASE for b in lines)
    assert "Next: Acknowledge the case" in lines[0]["text"]["text"]
    assert slack.command(DSL, "case").text.startswith("Type `/ypsi case`")

    ack = slack.command(DSL, f"case {second.lower()}")
    assert ack.status == 200 and ack.body == ""
    assert slack.view(DSL)["callback_id"] == CallbackId.CASE and second in json.dumps(slack.view(DSL))
    with sqlite_ctx.db.unit_of_work() as uow:
        refused = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")).all()
        assert [(e.actor_id, e.case_id) for e in refused] == [(TEACHER, None)]


def test_app_home_for_teachers_and_dsls(slack, sqlite_ctx, clock):
    ref, ts = report(slack, CASE_A)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    other, _ = report(slack, CASE_C)

    slack.open_home(TEACHER)
    home = json.dumps(slack.api.homes[TEACHER])
    assert f"*{ref}*" in home and "Picked up by a DSL" in home and "Sent to the DSL team" in home
    assert "Open cases" not in home and ActionId.OPEN_CASE not in home

    open_from_card(slack, DSL, ref, ts)
    decide(slack, ref, "initial_review", {"attendees": "DSL", "summary": "s"})
    decide(slack, ref, "managed_in_school", {"referral_decision": "none", "reason": "r", "plan": "p"})
    decide(slack, ref, "parents_informed", {"how": "phone"})
    decide(slack, ref, "deletion_requested", {"deadline": "2026-11-24", "young_people": "AB"})
    clock.advance(days=2)
    slack.open_home(DEPUTY)
    blocks = slack.api.homes[DEPUTY]["blocks"]
    lines = [b for b in blocks if b.get("accessory", {}).get("action_id") == ActionId.OPEN_CASE]
    assert [b["accessory"]["value"] for b in lines] == [ref, other]  # overdue first
    assert "Overdue:* Deletion deadline: Tue 24 Nov 2026" in lines[0]["text"]["text"]
    assert "AB" not in json.dumps(blocks)  # pseudonyms stay in the case modal

    slack.click_home(DEPUTY, ActionId.OPEN_CASE, other)
    assert slack.view(DEPUTY)["callback_id"] == CallbackId.CASE and other in json.dumps(slack.view(DEPUTY))
    slack.click_home(TEACHER, ActionId.REPORT_FROM_HOME, "report")
    assert slack.view(TEACHER)["callback_id"].startswith(CallbackId.STEP)
    with sqlite_ctx.db.unit_of_work() as uow:
        assert not uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")).all()
    home_actions = next(b for b in blocks if b.get("block_id") == BlockId.HOME_ACTIONS)
    assert home_actions["elements"][0]["action_id"] == ActionId.REPORT_FROM_HOME


def test_case_and_decision_modals_respect_slack_limits(sqlite_ctx):
    draft = complete(sqlite_ctx, TEACHER, TEAM, WITH_SENTINELS)
    ref = reports.submit(sqlite_ctx, draft.id, TEACHER).reference
    casework.record_decision(sqlite_ctx, ref, DSL, "acknowledged", {})
    for n in range(45):  # a long case: notes of the longest text allowed
        casework.record_decision(sqlite_ctx, ref, DSL, "note", {"note": f"{n} " + "x" * 2990})
    detail = casework.case_detail(sqlite_ctx, ref, DSL)
    view = case_view(detail)
    text = json.dumps(view)
    assert "(the export has it all)" in text and "9 earlier events are in the export" in text
    huge = case_view(replace(detail, decisions=detail.decisions * 20))
    forms = [
        decision_view(casework.DecisionForm(ref, d, {"category": CATEGORIES, "deletions": {"7": "AB"}}, {}))
        for d in load_decisions().by_key.values()
    ]
    for modal in [view, huge, *forms]:
        assert "file_input" not in json.dumps(modal) and len(modal["blocks"]) <= 100
        assert len(modal["title"]["text"]) <= 24 and len(modal["private_metadata"]) <= 3000
        for block in modal["blocks"]:
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("elements", [])) <= 25
            element = block.get("element", {})
            if element.get("type") in ("radio_buttons", "checkboxes"):
                assert len(element["options"]) <= 10
            assert all(len(o["text"]["text"]) <= 75 for o in element.get("options", []))
    assert decide_action("note") in action_ids(huge)  # the buttons survive a record cut short
    assert "too long to show in full" in json.dumps(huge["blocks"][-1])
