"""The classifier through the services and through signed Slack payloads, on SQLite and PostgreSQL.

The urgent card posted mid-dialogue never guesses "Experimental"; the teacher's review shows
their answers and the referral points (never the typology); the DSL sees the typology on the
card and the case; drafts stored before the new questions still load and classify.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bot.ids import ActionId, CallbackId, step_callback
from conversations.casefile import casework
from conversations.dialogue import reports, routing
from conversations.storage.models import Case, Draft
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.slack.dialogue import ANSWERS, STEPS, walk_to_review
from tests.test_classifier_table import OLD_DRAFT

NOT_KNOWN = "Not yet known: the DSL assesses"
REFER_NOW = "the DSL will decide whether to refer now"
DSL = OAKFIELD.dsl_users[0]
CHANNEL = OAKFIELD.dsl_channel


def stored_case(ctx) -> tuple[str, list[str], bool, bool]:
    """The one case's stored classification: category, triggers, immediate referral, urgent."""
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case))
        return case.category, list(case.triggers), case.immediate_referral, case.urgent


# --- services ---------------------------------------------------------------------------------


def test_urgent_case_mid_dialogue_is_not_yet_known_then_the_type_the_facts_support(ctx):
    draft = reports.start(ctx, TEAM, TEACHER)
    reports.answer(ctx, draft.id, TEACHER, CASE_A["safety"])
    outcome = reports.answer(ctx, draft.id, TEACHER, {"immediate_risk": "yes"})

    alert = outcome.urgent_alert
    assert alert is not None and alert.urgent and alert.in_progress and alert.immediate_referral
    assert alert.category_label == NOT_KNOWN
    assert stored_case(ctx) == ("not_known", ["risk_of_harm"], True, True)

    answers = {
        **CASE_A,
        "risk": {"immediate_risk": "yes"},
        "young_people": {"count": "2", "age_bands": ["16_17", "18_over"], "ages": "17, 18"},
    }
    draft = reports.answer(ctx, draft.id, TEACHER, {"safe_adult": "yes"}).draft
    while draft.state != "review":
        draft = reports.answer(ctx, draft.id, TEACHER, answers[draft.state]).draft
    sent = reports.submit(ctx, draft.id, TEACHER)

    assert sent.alert.category_label == "Aggravated: adult involved" and sent.alert.urgent
    category, triggers, immediate, urgent = stored_case(ctx)
    assert category == "adult_involved" and immediate and urgent
    assert {"risk_of_harm", "adult_involved", "aged_18_plus"} <= set(triggers)


def test_capacity_to_consent_alone_makes_the_case_urgent(ctx):
    answers = {**CASE_A, "concerns": {"concerns": ["vulnerability", "capacity"]}}
    draft = complete(ctx, TEACHER, TEAM, answers)
    sent = reports.submit(ctx, draft.id, TEACHER)

    assert sent.alert.urgent and sent.alert.immediate_referral and sent.alert.category_label == NOT_KNOWN
    assert stored_case(ctx) == ("not_known", ["capacity_to_consent", "under_13_or_vulnerable"], True, True)


def test_vulnerability_without_a_capacity_concern_stays_normal(ctx):
    answers = {**CASE_A, "concerns": {"concerns": ["vulnerability"]}}
    sent = reports.submit(ctx, complete(ctx, TEACHER, TEAM, answers).id, TEACHER)

    assert not sent.alert.urgent and not sent.alert.immediate_referral
    assert sent.alert.category_label == "Experimental: romantic"


def _old_draft(ctx) -> str:
    """A draft at the review step, stored before the 18+ band, the motive and the new ticks."""
    now = ctx.clock()
    draft_id = uuid.uuid4().hex
    with ctx.db.unit_of_work() as uow:
        uow.session.add(
            Draft(
                id=draft_id,
                team_id=TEAM,
                user_id=TEACHER,
                academy_key=OAKFIELD.key,
                state="review",
                status="open",
                answers=dict(OLD_DRAFT),
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()
    return draft_id


def test_a_draft_stored_before_the_new_questions_loads_and_classifies(ctx):
    draft_id = _old_draft(ctx)
    draft = reports.start(ctx, TEAM, TEACHER)
    assert draft.id == draft_id and draft.resumed and draft.state == "review"
    suggestion = reports.suggest(ctx, draft)
    assert suggestion.category.key == "adult_involved"  # typed age 19: an adult is involved
    assert [t.key for t in suggestion.referral_points] == ["adult_involved"]

    # Back to the sharing step: the new (optional) motive question is asked, nothing is lost.
    for _ in ("account", "device", "concerns", "sharing"):
        draft = reports.back(ctx, draft_id, TEACHER)
    assert draft.state == "sharing" and draft.answers["sharing"]["relationship"] == "relationship"
    draft = reports.answer(ctx, draft_id, TEACHER, {**CASE_A["sharing"], "motive": "sexual"}).draft
    while draft.state != "review":
        draft = _forward(ctx, draft)
    sent = reports.submit(ctx, draft_id, TEACHER)
    assert sent.alert.urgent and sent.alert.category_label == "Aggravated: adult involved"
    detail = casework.case_detail(ctx, sent.reference, DSL)
    assert detail.suggestion.category.key == "adult_involved"


def _forward(ctx, draft):
    """Answer the current step again with what is stored (as pressing Next on a prefilled step)."""
    stored = draft.answers[draft.state]
    raw = {k: (", ".join(map(str, v)) if k == "ages" else v) for k, v in stored.items()}
    return reports.answer(ctx, draft.id, TEACHER, raw).draft


# --- Slack ------------------------------------------------------------------------------------


def test_urgent_card_mid_dialogue_says_not_yet_known(ctx, slack):
    slack.command(TEACHER, "report")
    slack.submit_view(TEACHER, ANSWERS["safety"])
    slack.submit_view(TEACHER, {"immediate_risk": "yes"})

    [card] = slack.api.posted(CHANNEL)
    text = str(card["blocks"])
    assert card["text"].startswith("URGENT") and "still being completed" in text
    assert NOT_KNOWN in text and "Experimental" not in text
    assert "Immediate referral indicated" in text


def test_review_screen_shows_answers_and_referral_points_not_the_typology(ctx, slack):
    answers = {
        **ANSWERS,
        "young_people": {**ANSWERS["young_people"], "ages": "15, 19"},
        "concerns": {"concerns": ["capacity"]},
    }
    slack.command(TEACHER, "report")
    walk_to_review(slack, answers=answers)

    review = slack.view(TEACHER)
    text = str(review["blocks"])
    assert "Your answers" in text and "15, 19" in text and "Concern about capacity to consent" in text
    assert f"Points of immediate referral in the policy* ({REFER_NOW})" in text
    assert "An adult is involved" in text and "Concern about capacity to consent" in text
    for typology in ("Aggravated", "Experimental", "Not yet known", "Suggested category"):
        assert typology not in text
    assert review["submit"]["text"] == "Send to the DSL"

    slack.click(TEACHER, ActionId.BACK)  # Back changes an answer
    assert slack.view(TEACHER)["callback_id"] == step_callback("account")
    slack.submit_view(TEACHER, answers["account"])
    assert slack.view(TEACHER)["callback_id"] == CallbackId.REVIEW

    slack.submit_view(TEACHER)
    [card] = slack.api.posted(CHANNEL)
    assert card["text"].startswith("URGENT") and "Aggravated: adult involved" in str(card["blocks"])


def test_the_ages_step_offers_18_or_over_with_the_2015_act(slack):
    slack.command(TEACHER, "report")
    for step in STEPS[: STEPS.index("young_people")]:
        slack.submit_view(TEACHER, ANSWERS[step])
    view = slack.view(TEACHER)
    bands = next(b for b in view["blocks"] if b.get("block_id") == "age_bands")
    assert {"value": "18_over", "text": {"type": "plain_text", "text": "18 or over", "emoji": True}} in bands[
        "element"
    ]["options"]
    assert "Criminal Justice and Courts Act 2015" in bands["hint"]["text"]

    ack = slack.submit_view(
        TEACHER, {**ANSWERS["young_people"], "age_bands": ["16_17", "18_over"], "ages": ""}
    )
    assert ack.json["view"]["callback_id"] == step_callback("sharing")


def test_the_dsl_case_shows_the_typology_and_why_not_experimental(ctx, slack):
    answers = {**ANSWERS, "concerns": {"concerns": ["extreme_acts"]}}
    slack.command(TEACHER, "report")
    walk_to_review(slack, answers=answers)
    slack.submit_view(TEACHER)
    alert = routing.load_alert(ctx, "YPSI-2026-0001")
    assert alert.category_label == NOT_KNOWN and alert.urgent

    slack.click_message(DSL, CHANNEL, alert.alert_ts, ActionId.OPEN_CASE, alert.reference)
    case = slack.view(DSL)
    text = str(case["blocks"])
    assert case["callback_id"] == CallbackId.CASE
    assert f"*Suggested category:* {NOT_KNOWN}" in text
    assert "*Not Experimental*" in text and "willing participation" in text
    assert "Acts unusual for the young person" in text


# --- the practice console ---------------------------------------------------------------------

URGENT_AT_THE_CONSOLE = "".join(
    [
        "report\n1\n1\n1\n",  # understood; immediate risk: yes; a safe adult is with them
        "2\n2,4\n15, 19\nAB\n",  # two young people, 13-15 and 18 or over, ages 15 and 19
        "2\n1\n\n2\n\n2\n",  # another pupil told; a relationship; motive skipped; sent to one; not spreading
        "8\n",  # concern about capacity to consent
        "1\nTold by a friend\n",
        "yes\nquit\n",
    ]
)


def test_the_console_shows_the_same(tmp_path):
    from tests.test_cli import ypsi

    out = ypsi(["console"], tmp_path, URGENT_AT_THE_CONSOLE)
    assert out.returncode == 0, out.stderr
    urgent_card = out.stdout.split("== Do this now ==")[0]
    assert f"Suggested category: {NOT_KNOWN}" in urgent_card and "Experimental" not in urgent_card
    review = out.stdout.split("== Check and send to the DSL ==")[1].split("Sent. Your reference")[0]
    assert "Your answers (type `back` to change any of them):" in review and "15, 19" in review
    assert f"Points of immediate referral in the policy ({REFER_NOW}):" in review
    for point in (
        "A young person is at immediate risk of harm",
        "An adult is involved",
        "capacity to consent",
    ):
        assert point in review
    for typology in ("Suggested category", "Aggravated", "Experimental", "Not yet known"):
        assert typology not in review
    card = out.stdout.split("Sent. Your reference")[1]
    assert "Suggested category: Aggravated: adult involved" in card
