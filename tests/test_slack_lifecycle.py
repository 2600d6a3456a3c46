"""High-risk cases in Slack, end to end over signed HTTP: the DSL's buttons and forms hold to the
policy (referral at any point, deletion only with the agencies' agreement where they are involved,
immediate-referral points answered, parents informed after not informed), and the teacher's
receipt out of school hours says whom to call now.
"""

from __future__ import annotations

import json

from bot.ids import ActionId, CallbackId, decide_action
from tests.answers import CASE_A, CASE_C
from tests.conftest import TEACHER
from tests.reminder_setup import london
from tests.slack.fake_api import dm_channel
from tests.test_slack_casework import CHANNEL, DSL, action_ids, decide, open_from_card, report

ADULT = {**CASE_A, "concerns": {"concerns": ["adult_involved"]}}
REFERRAL = {"agency": "police", "agency_reference": "MASH-7", "reason": "Concern of harm"}
ASK_AGENCIES = "Ask the police or children's social care whether the imagery may be deleted"


def acknowledged(slack, answers) -> str:
    ref, ts = report(slack, answers)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    open_from_card(slack, DSL, ref, ts)
    return ref


def test_a_referral_during_deletion_pauses_it_and_deletion_then_needs_the_agencys_agreement(ctx, slack):
    ref = acknowledged(slack, CASE_A)
    decide(slack, ref, "initial_review", {"attendees": "DSL", "summary": "s"})
    decide(slack, ref, "managed_in_school", {"referral_decision": "none", "reason": "r", "plan": "p"})
    decide(slack, ref, "parents_informed", {"how": "phone"})
    decide(slack, ref, "deletion_requested", {"deadline": "2026-11-27", "young_people": "AB"})
    referred = decide(slack, ref, "referred", REFERRAL)  # offered while the deletion is awaited
    text = json.dumps(referred)
    assert ASK_AGENCIES in text and "Send the written referral (MARF) by Wed 25 Nov 2026 10:00" in text
    offered = action_ids(referred)
    assert decide_action("deletion_requested") not in offered
    assert {decide_action("deletion_asked"), decide_action("deletion_agreed")} <= set(offered)
    decide(slack, ref, "deletion_asked", {"agency": "police", "asked": "DC Jones, MASH"})
    slack.click(DSL, decide_action("deletion_agreed"), ref)
    form = json.dumps(slack.view(DSL))
    assert "in most cases" in form and "other agencies do not need to be involved" in form
    refused = slack.submit_view(DSL, {"deadline": "2026-11-27", "young_people": "AB"})
    assert refused.json["response_action"] == "errors"
    assert set(refused.json["errors"]) == {"agreed_agency", "agreed_by"}
    slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    agreed = {
        "agreed_agency": "police",
        "agreed_by": "DC Jones",
        "deadline": "2026-11-27",
        "young_people": "AB",
    }
    after = decide(slack, ref, "deletion_agreed", agreed)
    assert "Deletion deadline: Fri 27 Nov 2026" in json.dumps(after)


def test_an_immediate_point_cannot_be_managed_in_school_without_a_record_for_it(ctx, slack):
    ref = acknowledged(slack, ADULT)
    reviewed = decide(slack, ref, "initial_review", {"attendees": "DSL", "summary": "s"})
    assert "Refer now: an immediate-referral point fired" in json.dumps(reviewed)
    blocked = next(
        b
        for b in reviewed["blocks"]
        if b.get("accessory", {}).get("action_id") == decide_action("managed_in_school")
    )
    assert "record the agency consulted and why no referral: An adult is involved" in blocked["text"]["text"]
    slack.click(DSL, decide_action("managed_in_school"), ref)
    assert slack.view(DSL)["callback_id"] == CallbackId.NOTICE
    slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    slack.click(DSL, decide_action("referral_point"), ref)
    point = next(b for b in slack.view(DSL)["blocks"] if b.get("block_id") == "point")["element"]
    assert [o["text"]["text"] for o in point["options"]] == ["An adult is involved"]
    slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    answered = decide(
        slack,
        ref,
        "referral_point",
        {"point": "adult_involved", "agency": "police", "consulted": "PC Lee, MASH", "reason": "Adult is 17"},
    )
    assert decide_action("referral_point") not in action_ids(answered)
    managed = decide(
        slack,
        ref,
        "managed_in_school",
        {"referral_decision": "consultation_only", "reason": "r", "plan": "p"},
    )
    assert "Managed in school" in json.dumps(managed["blocks"][:4])


def test_parents_informed_after_the_agency_decides(ctx, slack):
    ref = acknowledged(slack, CASE_C)
    decide(slack, ref, "referred", REFERRAL)
    not_informed = decide(
        slack,
        ref,
        "parents_not_informed",
        {"risk": "risk_of_harm", "agreed_with": "police", "agreed_by": "DS Smith", "reason": "Police lead"},
    )
    assert decide_action("parents_informed_later") in action_ids(not_informed)
    later = decide(slack, ref, "parents_informed_later", {"decided_by": "DS Smith, police", "how": "phone"})
    assert decide_action("parents_informed_later") not in action_ids(later)
    assert "DS Smith, police" in json.dumps(later)


def test_the_teachers_receipt_out_of_school_hours_says_whom_to_call_now(ctx, slack, clock):
    report(slack, CASE_A)  # Monday 10:00: in school hours
    [in_hours] = [p for p in slack.api.posted(dm_channel(TEACHER)) if "has been sent" in p["text"]]
    assert "Whom to call now" not in json.dumps(in_hours)
    clock.now = london(2026, 11, 28, 21, 0)  # Saturday evening
    report(slack, CASE_A)
    receipts = [p for p in slack.api.posted(dm_channel(TEACHER)) if "has been sent" in p["text"]]
    night = json.dumps(receipts[-1])
    assert "Out of school hours" in night and "Whom to call now" in night
    assert "Emergency: 999" in night and "Emergency Duty Service" in night
    assert "call 999 now" in json.dumps(slack.view(TEACHER))
