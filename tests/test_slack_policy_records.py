"""The policy's records, the Principal's part, contacts at hand and staff wording, in Slack: signed
payloads through the real app against the fake Web API, asserting what people see.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.ids import ActionId, CallbackId, decide_action, step_callback
from bot.slack.views.report import contact_lines
from bot.slack.views.text import FILE_REFUSED, FILE_REFUSED_DSL
from bot.wording import IN_HOURS, OUT_OF_HOURS, REFER_NOW, STAFF_SAW_IMAGE
from conversations.dialogue import routing
from conversations.guidance.policy import Contact
from tests.answers import CASE_A, CASE_C
from tests.conftest import OAKFIELD, TEACHER
from tests.slack.dialogue import ANSWERS, SENTINEL_NAME, walk_to_review
from tests.slack.fake_api import dm_channel
from tests.test_slack_casework import (
    CHANNEL,
    DEPUTY,
    DSL,
    OPENED,
    WITH_SENTINELS,
    chronology,
    decide,
    open_from_card,
    report,
)
from tests.test_slack_files import file_share
from tests.test_slack_reminders import (
    TEACHER_DM,
    deletion_case,
    messages,
    run_reminders,
    send_check_from_case_modal,
    text_of,
)

PRINCIPAL = OAKFIELD.principal_user
PRINCIPAL_DM = dm_channel(PRINCIPAL)
NOT_PRINCIPAL = "Not the Principal: confirm below that they hold the Principal's formal authorisation."


def element(view, key: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == key)["element"]


def text_of_view(view) -> str:
    return json.dumps(view, ensure_ascii=False)


def acknowledged(slack, answers=CASE_A) -> str:
    ref, ts = report(slack, answers)
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    open_from_card(slack, DSL, ref, ts)
    return ref


def test_viewing_and_device_search_recorded_in_the_case_modal(ctx, slack):
    ref = acknowledged(slack)
    slack.click(DSL, decide_action("viewing"), ref)
    form = slack.view(DSL)
    assert (
        element(form, "decided_by")["initial_user"] == DSL
        and element(form, "viewed_by")["initial_user"] == DSL
    )
    assert "Imagery should never be viewed if the act of viewing will cause significant distress" in (
        text_of_view(form)
    )
    viewing = {
        "reason": "only_way",
        "no_distress": "confirmed",
        "same_sex": "not_possible",
        "viewed_by": TEACHER,
        "present": DEPUTY,
        "place": "premises",
        "viewed_at": int(datetime(2026, 11, 23, 9, 15, tzinfo=UTC).timestamp()),
        "actions": "Referred to the police",
        "not_copied": "confirmed",
    }
    refused = slack.submit_view(DSL, viewing)
    assert refused.json == {
        "response_action": "errors",
        "errors": {
            "viewed_by": "Not a DSL or deputy DSL: record below who delegated authority to them.",
            "same_sex_why": "Say why it was not possible.",
        },
    }
    recorded = slack.submit_view(DSL, {**viewing, "viewed_by": DSL, "same_sex_why": "No male DSL on site"})
    assert (
        recorded.json["response_action"] == "update"
        and recorded.json["view"]["callback_id"] == CallbackId.CASE
    )
    shown = text_of_view(recorded.json["view"])
    assert "*Record of viewing imagery*" in shown and "Elsewhere on academy premises" in shown
    assert "*Who decided it should be viewed (the DSL):* <@U0OAKDSL00>" in shown

    slack.click(DSL, decide_action("device_search"), ref)
    form = slack.view(DSL)
    assert element(form, "authorised_by")["initial_user"] == PRINCIPAL
    search = {"outcome": "deleted", "searched_at": int(datetime(2026, 11, 23, 9, 40, tzinfo=UTC).timestamp())}
    refused = slack.submit_view(DSL, search)
    assert refused.json["errors"] == {
        "searched_by": NOT_PRINCIPAL,
        "deletion_agreed_by": "Who agreed to the deletion?",
    }
    recorded = slack.submit_view(
        DSL, {**search, "authority_confirmed": "confirmed", "deletion_agreed_by": "PC Jones, MASH"}
    )
    shown = text_of_view(recorded.json["view"])
    assert (
        "*Device searched*" in shown
        and "Material deleted, after agreement with the agencies involved" in shown
    )
    assert chronology(ctx, ref)[-4:] == [
        ("viewing", "acknowledged"),
        OPENED,
        ("device_search", "acknowledged"),
        OPENED,
    ]


def test_the_principal_is_told_once_by_direct_message_with_no_pupil_details(ctx, slack):
    ref, ts = report(slack, {**WITH_SENTINELS, "concerns": {"concerns": ["intent_to_harm"]}})
    [told] = slack.api.posted(PRINCIPAL_DM)
    assert told["text"] == f"YPSI concern {ref} at Oakfield Academy"
    shown = json.dumps(told)
    assert "You are told as the Principal" in shown and "Aggravated" in shown
    assert SENTINEL_NAME not in shown and "XYZZY" not in shown and "PLUGH" not in shown
    assert not [b for b in told["blocks"] if b["type"] == "actions"]  # no case buttons: not a DSL
    slack.click_message(DSL, CHANNEL, ts, ActionId.ACKNOWLEDGE, ref)
    open_from_card(slack, DSL, ref, ts)
    decide(slack, ref, "note", {"note": "Spoke to the Principal"})
    assert len(slack.api.posted(PRINCIPAL_DM)) == 1
    assert ("principal_alerted", None) in chronology(ctx, ref)


def test_an_urgent_report_tells_the_principal_at_once_and_a_romantic_one_does_not(slack, sqlite_ctx):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.submit_view(TEACHER, {"immediate_risk": "yes"})
    [told] = slack.api.posted(PRINCIPAL_DM)
    assert told["text"] == "URGENT YPSI concern YPSI-2026-0001 at Oakfield Academy"
    slack.submit_view(TEACHER, {"safe_adult": "yes"})
    for step in ("young_people", "sharing", "concerns", "device", "account"):
        slack.submit_view(TEACHER, ANSWERS[step])
    slack.submit_view(TEACHER)
    assert len(slack.api.posted(PRINCIPAL_DM)) == 1  # told once, not again when the report is sent

    ref = acknowledged(slack, CASE_A)
    assert len(slack.api.posted(PRINCIPAL_DM)) == 1  # experimental, not urgent: the DSL informs them
    decide(
        slack,
        ref,
        "initial_review",
        {
            "attendees": "DSL",
            "summary": "s",
            "category": "intent_to_harm",
            "category_reason": "Shared to hurt",
        },
    )
    assert [m["text"] for m in slack.api.posted(PRINCIPAL_DM)][1] == f"YPSI concern {ref} at Oakfield Academy"


def test_managed_in_school_asks_the_response_agreed_with_the_principal(slack, sqlite_ctx):
    ref = acknowledged(slack)
    decide(slack, ref, "initial_review", {"attendees": "DSL", "summary": "s"})
    slack.click(DSL, decide_action("managed_in_school"), ref)
    form = slack.view(DSL)
    assert element(form, "principal")["initial_user"] == PRINCIPAL
    assert element(form, "principal_agreed_at")["type"] == "datetimepicker"
    assert (
        "In SUAT academies the Principal, in consultation with the DSL, DDSL and / or Chair of the LAC"
        in (text_of_view(form))
    )
    plan = {"referral_decision": "none", "reason": "r", "plan": "p"}
    refused = slack.submit_view(DSL, {**plan, "principal": DEPUTY})
    assert refused.json["errors"] == {"principal": "Choose the Principal: they agree the academy's response."}
    recorded = slack.submit_view(DSL, {**plan, "also_consulted": ["chair_lac"]})
    shown = text_of_view(recorded.json["view"])
    assert f"*Response agreed with the Principal: who:* <@{PRINCIPAL}>" in shown
    assert "The Chair of the Local Academy Council" in shown


def test_further_review_records_who_spoke_with_the_young_person(slack, sqlite_ctx):
    ref = acknowledged(slack)
    decide(slack, ref, "initial_review", {"attendees": "DSL", "summary": "s"})
    decide(slack, ref, "managed_in_school", {"referral_decision": "none", "reason": "r", "plan": "p"})
    slack.click(DSL, decide_action("further_review"), ref)
    answers = {
        "interview": "held",
        "interviewed_on": "2026-11-23",
        **{k: "x" for k in ("why_shared", "who_where", "adults", "impact", "vulnerabilities", "consent")},
        "previous": "No",
        "online": "no",
        "containment": ["none_needed"],
    }
    refused = slack.submit_view(DSL, {**answers, "interviewed_by": TEACHER})
    assert refused.json["errors"] == {
        "interviewer": "The DSL, or an adult the young person was more comfortable with?",
        "interviewed_by": "Not a DSL or deputy DSL: if the young person chose this adult, say so below.",
    }
    recorded = slack.submit_view(DSL, {**answers, "interviewed_by": TEACHER, "interviewer": "trusted_adult"})
    shown = text_of_view(recorded.json["view"])
    assert f"*Who spoke with the young person:* <@{TEACHER}>" in shown
    assert "An adult the young person felt more comfortable talking to" in shown


def test_contacts_at_hand_in_the_case_and_each_forms_step(slack, sqlite_ctx):
    ref = acknowledged(slack, CASE_C)
    case = text_of_view(slack.view(DSL))
    assert "*Contacts at hand*" in case and "Stoke-on-Trent Safeguarding Referral Team: 01782 235100" in case
    shown = {}
    for key in ("referred", "advice_sought"):
        slack.click(DSL, decide_action(key), ref)
        shown[key] = text_of_view(slack.view(DSL))
        slack.click(DSL, ActionId.BACK_TO_CASE, ref)
    assert "*Contacts for this step*" in shown["referred"]
    assert (
        "Staffordshire Emergency Duty Service (out of hours): 0345 604 2886, mobile 07815 492613"
        in (shown["referred"])
    )
    assert "Stoke-on-Trent Emergency Duty Team (out of hours): 01782 234234" in shown["referred"]
    assert (
        "Staffordshire Police (ask for MASH): 101" in shown["referred"]
        and "Emergency: 999" in shown["referred"]
    )
    assert "ESAS" in shown["advice_sought"] and "01765 688827" in shown["advice_sought"]
    assert "01782 235100" not in shown["advice_sought"]  # the referral teams are on the referral form
    decide(slack, ref, "referred", {"agency": "police", "agency_reference": "MASH-1", "reason": "Risk"})
    slack.click(DSL, decide_action("parents_informed"), ref)
    parents = text_of_view(slack.view(DSL))
    assert "NSPCC Helpline (parents and carers): 0808 800 5000, help@nspcc.org.uk" in parents
    assert "thinkuknow.co.uk" in parents and "Report Remove" in parents


def test_the_safety_step_offers_two_honest_answers_and_the_second_flags_the_case(slack, sqlite_ctx):
    slack.command(TEACHER, "report")
    safety = slack.view(TEACHER)
    intro = safety["blocks"][1]["text"]["text"]
    for words in (
        "UKCIS 2024 advice, paraphrased",
        "do not delete the image or ask them to delete it",
        "do not ask them about what it shows",
        "do not blame or shame them",
        "Reassure them",
        "do not promise to keep it a secret",
    ):
        assert words in intro
    options = element(safety, "understood")["options"]
    assert [(o["text"]["text"], o.get("description", {}).get("text")) for o in options] == [
        ("I have not seen any image", None),
        ("I saw an image (for example a pupil showed me)", "and have not kept, copied or forwarded it"),
    ]
    ack = slack.submit_view(TEACHER, {"understood": "saw_image"})
    assert ack.json["view"]["callback_id"] == step_callback("risk")  # nothing more about the image
    for step in ("risk", "young_people", "sharing", "concerns", "device", "account"):
        slack.submit_view(TEACHER, ANSWERS[step])
    slack.submit_view(TEACHER)
    [card] = slack.api.posted(CHANNEL)
    assert "saw an image" not in json.dumps(card)
    ts = routing.load_alert(sqlite_ctx, "YPSI-2026-0001").alert_ts
    slack.click_message(DSL, CHANNEL, ts, ActionId.OPEN_CASE, "YPSI-2026-0001")
    assert STAFF_SAW_IMAGE in text_of_view(slack.view(DSL))


def test_sextortion_advice_is_for_the_young_person_and_the_review_says_who_refers(slack, sqlite_ctx):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    risk_actions = slack.submit_view(TEACHER, {"immediate_risk": "yes"}).json["view"]
    intro = risk_actions["blocks"][1]["text"]["text"]
    assert (
        "tell the young person not to pay or reply" in intro and "do not contact the person yourself" in intro
    )
    for step in ("risk_actions", "young_people", "sharing", "concerns", "device"):
        slack.submit_view(TEACHER, {"safe_adult": "yes"} if step == "risk_actions" else ANSWERS[step])
    review = slack.submit_view(TEACHER, ANSWERS["account"]).json["view"]
    assert review["callback_id"] == CallbackId.REVIEW
    shown = text_of_view(review)
    # The points are listed as the DSL's to act on, never as an instruction to the member of staff.
    heading = shown.split(f"Points of immediate referral in the policy* ({REFER_NOW})")
    assert len(heading) == 2 and "Coercion, blackmail or grooming" in heading[1]
    assert "Refer now" not in shown


def test_usually_today_only_in_school_hours(slack, sqlite_ctx, clock):
    clock.now = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)  # Monday evening
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.submit_view(TEACHER)
    evening = json.dumps(slack.api.posted(dm_channel(TEACHER))[-1])
    assert OUT_OF_HOURS in evening and "usually today" not in evening
    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday morning
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    slack.submit_view(TEACHER)
    assert IN_HOURS in json.dumps(slack.api.posted(dm_channel(TEACHER))[-1])


def test_the_file_refusal_is_true_and_asks_only_to_remove_it_and_tell_the_dsl(slack, sqlite_ctx):
    slack.event(file_share(dm_channel(TEACHER), "im"))
    [reply] = slack.api.posted(dm_channel(TEACHER))
    assert reply["text"] == FILE_REFUSED
    assert "did not open, download or keep the file" in FILE_REFUSED
    assert "The file is still in Slack until you delete it" in FILE_REFUSED
    assert "If a copy is on your phone or computer, tell your DSL about it" in FILE_REFUSED
    [told] = slack.api.posted(dm_channel(DSL))
    assert told["text"] == FILE_REFUSED_DSL.format(who=f"<@{TEACHER}>")
    assert "no copy exists" not in told["text"] and "stays in Slack until" in told["text"]


def test_the_deletion_check_tells_staff_not_to_look_at_the_phone_or_images(ctx, slack):
    ref = deletion_case(slack)
    send_check_from_case_modal(slack, ref)
    run_reminders(slack)
    [(_, check)] = messages(slack, TEACHER_DM)
    assert "Do not look at a young person's phone or at the images yourself." in text_of(check)


def test_a_local_contact_with_only_an_email_shows_no_empty_link():
    desk = Contact("local:0", "Duty desk", ("case",), email="duty@example.org", hours="8-6")
    assert contact_lines("Contacts", [desk]) == "*Contacts*\n• Duty desk: duty@example.org (8-6)"
