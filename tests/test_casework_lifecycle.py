"""High-risk cases through the services, as the policy says, on SQLite and PostgreSQL.

Each test names the policy sentence it holds the services to (SUAT 2019 quoted; UKCIS 2024
paraphrased, as in guidance.toml).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from conversations.academies import Academies
from conversations.casefile import casework
from conversations.dialogue import reports
from conversations.errors import InvalidAnswer, NotAllowedNow
from conversations.storage.models import Case, Deletion
from tests.answers import CASE_A, CASE_C, complete
from tests.conftest import OAKFIELD, TEACHER, TEAM, make_context
from tests.reminder_setup import london, pending_due, rows, runner

DSL = OAKFIELD.dsl_users[0]
ADULT = {**CASE_A, "concerns": {"concerns": ["adult_involved"]}}
ADULT_COERCION = {**CASE_A, "concerns": {"concerns": ["adult_involved", "coercion"]}}
REFERRAL = {"agency": "police", "agency_reference": "MASH-7", "reason": "Concern of harm"}
CLOSING = {"summary": "No further concerns", "support": "Mentor weekly", "lessons": "Staff briefing"}
FURTHER_REVIEW = {
    "interview": "held",
    "interviewed_on": "2026-11-23",
    "interviewed_by": DSL,
    "interviewer": "dsl",
    "why_shared": "Asked",
    "who_where": "To one person",
    "adults": "No",
    "impact": "Worried",
    "vulnerabilities": "None",
    "consent": "Yes",
    "previous": "No",
    "online": "no",
    "containment": ["deletion_asked"],
}
AGREEMENT = {"agreed_agency": "police", "agreed_by": "DC Jones, MASH", "deadline": "2026-11-27"}


def submitted(ctx, answers) -> str:
    draft = complete(ctx, TEACHER, TEAM, answers)
    return reports.submit(ctx, draft.id, TEACHER).reference


def decide(ctx, ref, key, user=DSL, **values):
    return casework.record_decision(ctx, ref, user, key, values)


def offered(ctx, ref) -> set[str]:
    return {d.key for d in casework.case_detail(ctx, ref, DSL).available}


def managed_in_school(ctx, answers=CASE_A) -> str:
    ref = submitted(ctx, answers)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "principal_informed")
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    decide(ctx, ref, "managed_in_school", referral_decision="none", reason="r", plan="p")
    return ref


def stage(ctx, name: str) -> str:
    """Case study A taken to one open stage of its lifecycle through the services."""
    if name == "acknowledged":
        ref = submitted(ctx, CASE_A)
        decide(ctx, ref, "acknowledged")
        return ref
    ref = managed_in_school(ctx)
    if name == "managed_in_school":
        return ref
    decide(ctx, ref, "parents_informed", how="phone")
    if name == "parents_decided":
        return ref
    decide(ctx, ref, "deletion_requested", deadline="2026-11-27", young_people="AB, CD")
    if name == "deletion_requested":
        return ref
    pending = casework.decision_form(ctx, ref, DSL, "deletion_confirmed").choices["deletions"]
    decide(ctx, ref, "deletion_confirmed", deletions=list(pending))
    if name == "deletion_confirmed":
        return ref
    decide(ctx, ref, "further_review", **FURTHER_REVIEW)
    decide(ctx, ref, "closed", **CLOSING)
    decide(ctx, ref, "reopened", reason="New images")
    return ref


# SUAT 2019: "At any point in the process if there is a concern a young person has been harmed or
# is at risk of harm a referral should be made to children's social care and/or the police immediately."
@pytest.mark.parametrize(
    ("name", "after"),
    [
        ("acknowledged", "referred"),
        ("managed_in_school", "referred"),
        ("parents_decided", "parents_decided"),
        ("deletion_requested", "parents_decided"),
        ("deletion_confirmed", "deletion_confirmed"),
        ("reopened", "referred"),
    ],
)
def test_a_referral_can_be_recorded_at_every_open_stage(ctx, name, after):
    ref = stage(ctx, name)
    assert "referred" in offered(ctx, ref)
    assert decide(ctx, ref, "referred", **REFERRAL).to_state == after
    detail = casework.case_detail(ctx, ref, DSL)
    assert detail.due[0].text.startswith("Send the written referral (MARF) by Wed 25 Nov 2026 10:00")
    assert {"referral_reminder", "referral_overdue"} <= set(pending_due(ctx, ref))
    assert "record the written referral (MARF) sent" in detail.missing_for_close


def test_a_referral_pauses_a_requested_deletion_and_its_reminders(ctx):
    ref = stage(ctx, "deletion_requested")
    assert {"deletion_due", "deletion_overdue"} <= set(pending_due(ctx, ref))
    decide(ctx, ref, "referred", **REFERRAL)
    with ctx.db.unit_of_work() as uow:
        assert [d.status for d in uow.session.scalars(select(Deletion).order_by(Deletion.id))] == [
            "paused",
            "paused",
        ]
    assert not {k for k in pending_due(ctx, ref) if k.startswith("deletion")}
    assert {r.details.get("cancelled") for r in rows(ctx, ref) if r.kind.startswith("deletion")} == {
        "no longer due"
    }
    # Nothing is sent about the deletion deadline any more; the written follow-up is.
    run, outbox = runner(ctx)
    ctx.clock.advance(days=3)
    run.drain()
    assert "deletion_due" not in outbox.kinds() and "referral_overdue" in outbox.kinds()


# SUAT 2019: "If the academy has decided that other agencies do not need to be involved, then
# consideration should be given to deleting imagery from devices and online services".
def test_deletion_on_a_referred_case_needs_the_agencys_agreement(ctx):
    ref = submitted(ctx, CASE_C)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "referred", **REFERRAL)
    decide(ctx, ref, "parents_informed", how="phone")
    detail = casework.case_detail(ctx, ref, DSL)
    assert (
        detail.due[-1].text == "Ask the police or children's social care whether the imagery may be deleted"
    )
    available = {d.key for d in detail.available}
    assert {"deletion_asked", "deletion_agreed", "deletion_not_required"} <= available
    assert "deletion_requested" not in available
    with pytest.raises(NotAllowedNow):
        casework.decision_form(ctx, ref, DSL, "deletion_requested")
    with pytest.raises(NotAllowedNow):
        decide(ctx, ref, "deletion_requested", deadline="2026-11-27", young_people="AB")
    decide(ctx, ref, "deletion_asked", agency="police", asked="DC Jones, MASH")
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, "deletion_agreed", deadline="2026-11-27", young_people="AB")
    assert set(raised.value.errors) == {"agreed_agency", "agreed_by"}
    outcome = decide(ctx, ref, "deletion_agreed", young_people="AB", **AGREEMENT)
    assert outcome.to_state == "deletion_requested"
    agreed = next(d for d in casework.case_detail(ctx, ref, DSL).decisions if d.key == "deletion_agreed")
    assert agreed.values["agreed_by"] == "DC Jones, MASH" and agreed.values["agreed_at"].startswith(
        "2026-11-23"
    )


def test_deletion_texts_quote_the_policy_in_full():
    decisions = casework.load_decisions()
    for key in ("deletion_requested", "deletion_agreed"):
        intro = decisions.get(key).intro
        assert "If the academy has decided that other agencies do not need to be involved" in intro
        assert "SUAT recommends that in most cases young people are asked to delete imagery" in intro


# UKCIS 2024 (paraphrased): immediate referral when an adult is involved, or there is coercion,
# blackmail or grooming; "Otherwise the DSL may handle it in school ... with the reasons recorded."
def test_managing_in_school_on_an_immediate_point_needs_a_record_for_each_point(ctx):
    ref = submitted(ctx, ADULT_COERCION)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    assert casework.case_detail(ctx, ref, DSL).due[-1].text.startswith("Refer now")
    with pytest.raises(NotAllowedNow) as raised:
        decide(ctx, ref, "managed_in_school", referral_decision="none", reason="r", plan="p")
    assert raised.value.missing == [
        "record the agency consulted and why no referral: An adult is involved",
        "record the agency consulted and why no referral: Coercion, blackmail or grooming",
    ]
    blocked = {b.decision.key: b.missing for b in casework.case_detail(ctx, ref, DSL).blocked}
    assert blocked["managed_in_school"] == tuple(raised.value.missing)
    form = casework.decision_form(ctx, ref, DSL, "referral_point")
    assert form.choices["point"] == {
        "adult_involved": "An adult is involved",
        "coercion": "Coercion, blackmail or grooming",
    }
    with pytest.raises(InvalidAnswer) as missing:
        decide(ctx, ref, "referral_point", point="adult_involved", agency="police")
    assert set(missing.value.errors) == {"consulted", "reason"}
    decide(
        ctx, ref, "referral_point", point="adult_involved", agency="police", consulted="PC Lee", reason="x"
    )
    assert casework.decision_form(ctx, ref, DSL, "referral_point").choices["point"] == {
        "coercion": "Coercion, blackmail or grooming"
    }
    with pytest.raises(NotAllowedNow):
        decide(ctx, ref, "managed_in_school", referral_decision="none", reason="r", plan="p")
    decide(
        ctx, ref, "referral_point", point="coercion", agency="social_care", consulted="SW Patel", reason="y"
    )
    assert "referral_point" not in offered(ctx, ref)
    assert decide(ctx, ref, "managed_in_school", referral_decision="consultation_only", reason="r", plan="p")
    # An immediate point means the agencies decide about deletion, referred or not.
    decide(ctx, ref, "parents_informed", how="phone")
    assert {"deletion_agreed", "deletion_asked"} <= offered(ctx, ref)
    assert "deletion_requested" not in offered(ctx, ref)


def test_referral_points_are_the_guidance_levels_read_as_data(ctx):
    adult = submitted(ctx, ADULT)
    ai = submitted(ctx, {**CASE_A, "concerns": {"concerns": ["ai_generated"]}})
    decide(ctx, adult, "acknowledged")
    decide(ctx, ai, "acknowledged")
    # The guidance marks "adult involved" immediate and AI imagery "consider" today; swap them.
    swapped = tuple(
        replace(t, level={"adult_involved": "discuss", "ai_generated": "immediate"}.get(t.key, t.level))
        for t in ctx.guidance.triggers
    )
    other = replace(ctx, guidance=replace(ctx.guidance, triggers=swapped))
    assert casework.decision_form(ctx, adult, DSL, "referral_point").choices["point"] == {
        "adult_involved": "An adult is involved"
    }
    with pytest.raises(NotAllowedNow):
        casework.decision_form(ctx, ai, DSL, "referral_point")
    assert casework.decision_form(other, ai, DSL, "referral_point").choices["point"] == {
        "ai_generated": "AI-generated or altered imagery"
    }
    with pytest.raises(NotAllowedNow):
        casework.decision_form(other, adult, DSL, "referral_point")


def test_referral_indicated_reminds_the_owner_hourly_at_night_until_referred(ctx, clock):
    clock.now = london(2026, 11, 27, 21, 0)  # Friday evening
    ref = submitted(ctx, ADULT)
    decide(ctx, ref, "acknowledged")
    assert pending_due(ctx, ref)["referral_indicated"] == london(
        2026, 11, 27, 22, 0
    )  # urgent: no quiet hours
    run, outbox = runner(ctx)
    clock.now = london(2026, 11, 27, 22, 0)
    run.drain()
    [first] = [m for m in outbox.take() if m.kind == "referral_indicated"]
    assert (first.users, first.channel) == (
        (DSL,),
        None,
    ) and first.title == f"Referral indicated, not recorded: {ref}"
    assert pending_due(ctx, ref)["referral_indicated"] == london(2026, 11, 27, 23, 0)
    clock.now = london(2026, 11, 27, 23, 0)
    run.drain()
    assert "referral_indicated" in outbox.kinds()
    decide(ctx, ref, "referred", **REFERRAL)
    assert "referral_indicated" not in pending_due(ctx, ref)
    clock.advance(hours=3)
    outbox.take()
    run.drain()
    assert "referral_indicated" not in outbox.kinds()


def test_the_record_for_each_point_also_stops_the_reminder(ctx, clock):
    ref = submitted(ctx, ADULT)
    decide(ctx, ref, "acknowledged")
    assert "referral_indicated" in pending_due(ctx, ref)
    decide(
        ctx, ref, "referral_point", point="adult_involved", agency="police", consulted="PC Lee", reason="x"
    )
    assert "referral_indicated" not in pending_due(ctx, ref)
    assert not casework.case_detail(ctx, ref, DSL).due[-1].text.startswith("Refer now")


# SUAT 2019: "If at the initial review stage a decision has been made not to refer ... the
# Safeguarding Lead should conduct a further review ... to establish the facts and assess the risks."
def test_a_case_managed_in_school_closes_only_after_the_further_review_and_a_closing_summary(ctx):
    ref = stage(ctx, "deletion_confirmed")
    with pytest.raises(NotAllowedNow) as raised:
        decide(ctx, ref, "closed", **CLOSING)
    assert raised.value.missing == ["hold the further review with the risk questions"]
    decide(ctx, ref, "further_review", **FURTHER_REVIEW)
    with pytest.raises(InvalidAnswer) as summary:
        decide(ctx, ref, "closed", summary="Done")
    assert set(summary.value.errors) == {"support", "lessons"}
    assert decide(ctx, ref, "closed", **CLOSING).to_state == "closed"


def test_a_referred_case_closes_only_after_the_written_referral(ctx):
    ref = submitted(ctx, CASE_C)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "principal_informed")
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    decide(ctx, ref, "referred", **REFERRAL)
    decide(ctx, ref, "parents_informed", how="phone")
    decide(ctx, ref, "deletion_not_required", ground="police_evidence", reason="Held by police")
    assert casework.case_detail(ctx, ref, DSL).missing_for_close == (
        "record the written referral (MARF) sent",
    )
    decide(ctx, ref, "referral_follow_up", form="marf")
    assert casework.case_detail(ctx, ref, DSL).missing_for_close == ()
    assert decide(ctx, ref, "closed", **CLOSING).to_state == "closed"


# SUAT 2019: children's social care and/or the police "would take the lead in deciding when the
# parents should be informed".
def test_parents_informed_may_follow_not_informed_with_who_decided_and_when(ctx):
    ref = submitted(ctx, CASE_C)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "referred", **REFERRAL)
    assert "parents_informed_later" not in offered(ctx, ref)
    decide(
        ctx,
        ref,
        "parents_not_informed",
        risk="risk_of_harm",
        agreed_with="police",
        agreed_by="DS Smith",
        reason="r",
    )
    assert "parents_informed_later" in offered(ctx, ref)
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, "parents_informed_later", how="phone")
    assert set(raised.value.errors) == {"decided_by"}
    outcome = decide(
        ctx,
        ref,
        "parents_informed_later",
        how="phone",
        decided_by="DS Smith, police",
        decided_at="2026-11-23 09:00",
    )
    assert outcome.to_state == "parents_decided"
    assert "parents_informed_later" not in offered(ctx, ref)
    later = next(
        d for d in casework.case_detail(ctx, ref, DSL).decisions if d.key == "parents_informed_later"
    )
    assert later.values["decided_by"] == "DS Smith, police" and later.values["decided_at"].startswith(
        "2026-11-23T09:00"
    )


def test_cases_recorded_before_these_rules_keep_their_history_and_gain_only_what_applies(ctx):
    closed = stage(ctx, "parents_decided")
    open_ = managed_in_school(ctx)
    with ctx.db.unit_of_work() as uow:
        # As earlier versions left them: a closed case without the Principal informed or a
        # further review, and an open one whose only review was a change of category.
        for ref, state in ((closed, "closed"), (open_, "deletion_waived")):
            case = uow.session.scalar(select(Case).where(Case.reference == ref))
            kept = {
                k: v for k, v in case.decisions.items() if k not in ("principal_informed", "initial_review")
            }
            kept["category_changed"] = [
                {**kept["managed_in_school"][0], "values": {"category": "romantic", "category_reason": "r"}}
            ]
            if state == "closed":
                kept["closed"] = [{**kept["managed_in_school"][0], "values": {"summary": "Closed before"}}]
            case.decisions = kept
            case.facts = ["category_confirmed", "referral_decided", "parents_decided", "deletion_resolved"]
            case.state = state
        uow.commit()
    old = casework.case_detail(ctx, closed, DSL)
    assert old.state == "closed" and {d.key for d in old.available} == {"reopened"}
    assert ("Outcome", "Closed before") in [
        (r.label, r.value) for d in old.decisions if d.key == "closed" for r in d.rows
    ]
    assert casework.case_detail(ctx, open_, DSL).missing_for_close == (
        "record that the Principal was informed",
        "hold the initial review meeting (it confirms the category)",
        "hold the further review with the risk questions",
    )
    decide(ctx, closed, "reopened", reason="New images")
    assert "initial_review" in offered(ctx, closed)


# Urgent and unacknowledged: the re-alert repeats to the channel and the deputies, then the
# Principal, at any hour, until someone acknowledges (every 15 minutes unless the academy says).
def test_an_urgent_case_nobody_acknowledges_is_re_alerted_until_someone_does(database_url, clock):
    quick = replace(OAKFIELD, reminders={"urgent_repeat_minutes": 10})
    ctx = make_context(database_url, Academies({"oakfield": quick}), clock)
    clock.now = london(2026, 11, 28, 2, 0)  # Saturday night
    ref = submitted(ctx, ADULT)
    run, outbox = runner(ctx)
    seen = []
    for _ in range(8):
        clock.advance(minutes=5)
        run.drain()
        seen += [(m.kind, m.channel, m.users) for m in outbox.take()]
    channel, deputies, principal = OAKFIELD.dsl_channel, OAKFIELD.deputy_users, (OAKFIELD.principal_user,)
    assert seen == [
        ("unacknowledged", channel, ()),
        ("unacknowledged_repeat", channel, deputies),
        ("unacknowledged_repeat", channel, deputies),
        ("unacknowledged_principal", None, principal),
        ("unacknowledged_repeat", channel, deputies),
        ("unacknowledged_principal", None, principal),
    ]
    decide(ctx, ref, "acknowledged")
    clock.advance(hours=2)
    run.drain()
    assert not [m for m in outbox.take() if m.kind.startswith("unacknowledged")]
    ctx.db.engine.dispose()


def test_a_case_that_is_not_urgent_gets_no_repeats(ctx, clock):
    ref = submitted(ctx, CASE_A)
    assert not {"unacknowledged_repeat", "unacknowledged_principal"} & set(pending_due(ctx, ref))


# SUAT 2019: "In an emergency always call 999" (first of the contacts to call out of school hours).
def test_out_of_school_hours_the_submission_says_whom_to_call_now(ctx, clock):
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    assert reports.submit(ctx, draft.id, TEACHER).call_now == ()  # Monday 10:00
    clock.now = london(2026, 11, 23, 18, 30)  # Monday evening: quiet hours
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    call_now = reports.submit(ctx, draft.id, TEACHER).call_now
    assert call_now[0].phone == "999"
    assert [c.key for c in call_now] == [c.key for c in ctx.guidance.contacts_for("emergency")]
