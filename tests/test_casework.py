"""The DSL's casework services on a real SQLite file and a real PostgreSQL schema.

Case studies A and C of the policy are taken from the report to the expected chronology.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conversations.casefile import casework
from conversations.casefile.decisions import DECISIONS_FILE, EFFECTS, load_decisions
from conversations.dialogue import reports
from conversations.errors import ConfigError, InvalidAnswer, NotAllowedNow, NotAuthorised, NotFound
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case, Deletion
from tests.answers import CASE_A, CASE_C, complete
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER, TEAM

DSL = OAKFIELD.dsl_users[0]
DEPUTY = OAKFIELD.deputy_users[0]
OTHER_DSL = RIVERSIDE.dsl_users[0]


CLOSING = {
    "summary": "Plan followed; parents supportive",
    "support": "Tutor check-ins",
    "lessons": "None new",
}


def submitted(ctx, answers) -> str:
    draft = complete(ctx, TEACHER, TEAM, answers)
    return reports.submit(ctx, draft.id, TEACHER).reference


def decide(ctx, ref, key, user=DSL, **values):
    return casework.record_decision(ctx, ref, user, key, values)


def chronology(ctx, ref) -> list[tuple[str, str | None]]:
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
        )
        return [(e.action, e.to_state) for e in events]


def pending_deletions(ctx, ref) -> dict[str, str]:
    return casework.decision_form(ctx, ref, DSL, "deletion_confirmed").choices["deletions"]


def case_study_a(ctx) -> str:
    """Case study A: two 15-year-olds, managed in school, parents informed, deletion confirmed."""
    ref = submitted(ctx, CASE_A)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "principal_informed")
    decide(
        ctx,
        ref,
        "initial_review",
        attendees="DSL, form tutor",
        summary="SENTINEL-A-SUMMARY: no wider concerns",
    )
    decide(
        ctx,
        ref,
        "managed_in_school",
        referral_decision="none",
        reason="No aggravating features; both 15, in a relationship",
        plan="SENTINEL-A-PLAN: advise both on impact; agreed plan to inform parents",
    )
    decide(
        ctx,
        ref,
        "further_review",
        interview="held",
        interviewed_on="2026-11-23",
        interviewed_by=DSL,
        interviewer="dsl",
        why_shared="Asked by her boyfriend",
        who_where="Sent to him only, with her knowledge",
        adults="No",
        impact="Worried it would be shared",
        vulnerabilities="None known",
        consent="Yes",
        previous="No",
        online="no",
        containment=["deletion_asked"],
    )
    decide(ctx, ref, "parents_informed", how="in_person", notes="Both sets of parents, with the pupils")
    decide(ctx, ref, "deletion_requested", deadline="2026-11-25", young_people="Pupil B")
    (boy,) = pending_deletions(ctx, ref)
    outcome = decide(ctx, ref, "deletion_confirmed", deletions=[boy])
    assert outcome.follow_on == "all_deletions_confirmed" and outcome.to_state == "deletion_confirmed"
    decide(ctx, ref, "closed", **CLOSING)
    return ref


def test_case_study_a_from_report_to_closed(ctx, clock):
    ref = case_study_a(ctx)
    assert chronology(ctx, ref) == [
        ("case_created", "reported"),
        ("report_submitted", "reported"),
        ("acknowledged", "acknowledged"),
        ("principal_informed", "acknowledged"),
        ("initial_review", "in_review"),
        ("managed_in_school", "managed_in_school"),
        ("further_review", "managed_in_school"),
        ("parents_informed", "parents_decided"),
        ("deletion_requested", "deletion_requested"),
        ("deletion_confirmed", "deletion_requested"),
        ("all_deletions_confirmed", "deletion_confirmed"),
        ("closed", "closed"),
    ]
    detail = casework.case_detail(ctx, ref, DEPUTY)
    assert detail.state == "closed" and detail.closed_at == clock.now and detail.owner_id == DSL
    assert detail.confirmed_category.key == "romantic" and detail.suggestion.category.key == "romantic"
    assert [(d.pseudonym, d.status, d.confirmed_by) for d in detail.deletions] == [
        ("Pupil B", "confirmed", DSL)
    ]
    assert detail.available == tuple(load_decisions().allowed_by(["reopen"])) and detail.due == ()
    review = next(d for d in detail.decisions if d.key == "initial_review")
    assert ("Category", "Experimental: romantic") in [(r.label, r.value) for r in review.rows]
    assert detail.timeline[-1].action == "case_opened" and detail.timeline[-1].actor_id == DEPUTY
    with ctx.db.unit_of_work() as uow:
        assert audit.verify(uow.session)[1] == []


def test_acknowledging_tells_the_reporter_once_and_updates_the_card(ctx):
    ref = submitted(ctx, CASE_A)
    outcome = decide(ctx, ref, "acknowledged")
    assert outcome.reporter_id == TEACHER and ref in outcome.tell_reporter
    assert outcome.alert.owner_id == DSL and outcome.alert.status_label == "Acknowledged"
    with pytest.raises(NotAllowedNow):
        decide(ctx, ref, "acknowledged", user=DEPUTY)
    assert decide(ctx, ref, "note", note="Spoke to the tutor").tell_reporter is None
    assert [r.status for r in casework.my_reports(ctx, TEACHER)] == ["Picked up by a DSL"]


def test_case_study_c_referral_records_agency_reference_and_time(ctx, clock):
    ref = submitted(ctx, CASE_C)
    decide(ctx, ref, "acknowledged")
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, "initial_review", attendees="DSL", summary="Break-up", category="reckless_misuse")
    assert list(raised.value.errors) == ["category_reason"]
    decide(
        ctx,
        ref,
        "initial_review",
        attendees="DSL, head of year",
        summary="She denies forwarding; refused to hand over her phone",
        category="reckless_misuse",
        category_reason="ESAS view: reckless misuse rather than intent to harm",
    )
    decide(ctx, ref, "advice_sought", service="esas", adviser="Duty adviser", advice="May not meet threshold")
    outcome = decide(
        ctx,
        ref,
        "referred",
        agency="social_care",
        agency_reference="FR-2026-7781",
        referred_at="2026-11-23 09:30",
        reason="Pictures forwarded after a break-up",
    )
    assert outcome.to_state == "referred" and outcome.alert.status_label == "Referred"
    detail = casework.case_detail(ctx, ref, DSL)
    referral = next(d for d in detail.decisions if d.key == "referred")
    assert referral.values["agency_reference"] == "FR-2026-7781"
    assert referral.values["referred_at"] == "2026-11-23T09:30:00+00:00"
    assert ("Date and time of the referral", "Mon 23 Nov 2026 09:30") in [
        (r.label, r.value) for r in referral.rows
    ]
    assert detail.due[0].text.startswith("Send the written referral (MARF) by Wed 25 Nov 2026 09:30")
    assert not detail.due[0].overdue and detail.confirmed_category.key == "reckless_misuse"
    clock.advance(hours=49)
    (line,) = casework.dsl_overview(ctx, DSL)
    assert line.overdue and line.next.text.startswith("Send the written referral")
    decide(ctx, ref, "parents_informed", how="phone")
    decide(ctx, ref, "referral_follow_up", form="marf")
    (line,) = casework.dsl_overview(ctx, DSL)
    # Referred: the imagery may be evidence (SUAT 2019 deletes "If the academy has decided that
    # other agencies do not need to be involved").
    assert not line.overdue and line.next.text == (
        "Ask the police or children's social care whether the imagery may be deleted"
    )
    assert chronology(ctx, ref) == [
        ("case_created", "reported"),
        ("report_submitted", "reported"),
        ("principal_alerted", None),  # aggravated: the Principal is told with the submit
        ("acknowledged", "acknowledged"),
        ("initial_review", "in_review"),
        ("advice_sought", "in_review"),
        ("referred", "referred"),
        ("case_opened", None),
        ("parents_informed", "parents_decided"),
        ("referral_follow_up", "parents_decided"),
    ]


def test_close_is_refused_with_what_is_missing_then_reopen(ctx, clock):
    ref = submitted(ctx, CASE_C)
    decide(ctx, ref, "acknowledged")
    with pytest.raises(NotAllowedNow) as early:
        decide(ctx, ref, "closed")
    assert "record the parents/carers decision" in early.value.missing
    decide(ctx, ref, "referred", agency="police", agency_reference="MASH-1", reason="Risk of harm")
    decide(
        ctx,
        ref,
        "parents_not_informed",
        risk="risk_of_harm",
        agreed_with="police",
        agreed_by="DS Smith, MASH",
        reason="Police lead on informing",
    )
    decide(ctx, ref, "deletion_not_required", ground="police_evidence", reason="Phone held by police")
    with pytest.raises(NotAllowedNow) as raised:
        decide(ctx, ref, "closed", **CLOSING)
    missing = [
        "record that the Principal was informed",
        "hold the initial review meeting (it confirms the category)",
        "record the written referral (MARF) sent",
    ]
    assert raised.value.missing == missing
    detail = casework.case_detail(ctx, ref, DSL)
    assert [b.decision.key for b in detail.blocked] == ["closed"]
    assert detail.missing_for_close == tuple(missing)
    # A change of category is not the initial review meeting.
    decide(ctx, ref, "category_changed", category="intent_to_harm", category_reason="Confirmed by police")
    assert casework.case_detail(ctx, ref, DSL).missing_for_close == tuple(missing)
    decide(ctx, ref, "principal_informed")
    decide(
        ctx,
        ref,
        "initial_review",
        attendees="DSL",
        summary="s",
        category="intent_to_harm",
        category_reason="x",
    )
    decide(ctx, ref, "referral_follow_up", form="marf")
    assert decide(ctx, ref, "closed", **CLOSING).to_state == "closed"
    with pytest.raises(InvalidAnswer):
        decide(ctx, ref, "reopened")
    clock.advance(days=3)
    outcome = decide(ctx, ref, "reopened", reason="SENTINEL-REOPEN: new images reported")
    assert outcome.to_state == "reopened"
    detail = casework.case_detail(ctx, ref, DSL)
    assert detail.closed_at is None and {"initial_review", "referred"} <= {d.key for d in detail.available}
    with pytest.raises(NotAllowedNow):
        decide(ctx, ref, "reopened", reason="again")
    reopened = [e for e in detail.timeline if e.action == "reopened"]
    assert reopened[0].from_state == "closed" and "SENTINEL" not in (reopened[0].reason or "")


def test_deletions_confirmed_one_by_one_and_extended(ctx):
    ref = submitted(ctx, CASE_A)
    decide(ctx, ref, "acknowledged")
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    decide(ctx, ref, "managed_in_school", referral_decision="consultation_only", reason="r", plan="p")
    decide(ctx, ref, "parents_informed", how="letter")
    decide(ctx, ref, "deletion_requested", deadline="2026-11-24", young_people="AB, CD", follow_up=DEPUTY)
    first, second = pending_deletions(ctx, ref)
    assert decide(ctx, ref, "deletion_confirmed", deletions=[first]).follow_on is None
    assert pending_deletions(ctx, ref) == {second: "CD"}
    decide(ctx, ref, "deletion_extended", deadline="2026-11-30", reason="Absent")
    with ctx.db.unit_of_work() as uow:
        rows = uow.session.scalars(select(Deletion).order_by(Deletion.id)).all()
        assert [(d.status, d.deadline.isoformat(), d.follow_up_user) for d in rows] == [
            ("confirmed", "2026-11-24", DEPUTY),
            ("pending", "2026-11-30", DEPUTY),
        ]
    with pytest.raises(InvalidAnswer):
        decide(ctx, ref, "deletion_confirmed", deletions=[first])
    assert decide(ctx, ref, "deletion_confirmed", deletions=[second]).to_state == "deletion_confirmed"


def test_deletion_follow_up_defaults_to_the_reporter_and_dates_are_checked(ctx):
    ref = submitted(ctx, CASE_A)
    decide(ctx, ref, "acknowledged")
    form = casework.decision_form(ctx, ref, DSL, "viewing")
    assert form.defaults == {"decided_by": DSL, "viewed_by": DSL}
    viewing = {
        "reason": "unavoidable",
        "no_distress": "confirmed",
        "same_sex": "yes",
        "place": "office",
        "actions": "Device secured",
        "not_copied": "confirmed",
    }
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, "viewing", present=DEPUTY, viewed_at="2026-12-25 10:00", **viewing)
    assert raised.value.errors == {"viewed_at": "That date is in the future."}
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, "viewing", present=DSL, viewed_at="2026-11-23 09:15", **viewing)
    assert raised.value.errors == {"present": "Please choose a different member of staff."}
    decide(ctx, ref, "viewing", present=DEPUTY, viewed_at="23/11/2026 09:15", **viewing)
    decide(ctx, ref, "device", status="confiscated")
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    decide(ctx, ref, "managed_in_school", referral_decision="none", reason="r", plan="p")
    decide(ctx, ref, "parents_informed", how="phone")
    assert casework.decision_form(ctx, ref, DSL, "deletion_requested").defaults == {"follow_up": TEACHER}
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, "deletion_requested", deadline="2026-11-01", young_people="AB")
    assert raised.value.errors == {"deadline": "That date is in the past."}


def test_illegal_decisions_are_not_offered_and_are_refused(ctx):
    ref = submitted(ctx, CASE_A)
    detail = casework.case_detail(ctx, ref, DSL)
    assert [d.key for d in detail.available] == ["acknowledged", "note"]
    for key in ("initial_review", "managed_in_school", "closed", "reopened", "device"):
        with pytest.raises(NotAllowedNow):
            casework.decision_form(ctx, ref, DSL, key)
        with pytest.raises(NotAllowedNow):
            decide(ctx, ref, key)
    with pytest.raises(NotFound):
        decide(ctx, ref, "delete_everything")
    decide(ctx, ref, "acknowledged")
    available = [d.key for d in casework.case_detail(ctx, ref, DSL).available]
    assert "managed_in_school" not in available and {"initial_review", "referred", "viewing"} <= set(
        available
    )


@pytest.mark.parametrize("intruder", [TEACHER, OTHER_DSL])
def test_others_are_refused_everything_audited_and_nothing_changes(ctx, intruder):
    ref = submitted(ctx, CASE_A)
    decide(ctx, ref, "acknowledged")
    with ctx.db.unit_of_work() as uow:
        before = uow.session.scalar(select(Case))
        before = (before.state, before.owner_id, dict(before.decisions), list(before.facts))
    calls = [
        lambda: casework.case_detail(ctx, ref, intruder),
        *(lambda k=k: casework.decision_form(ctx, ref, intruder, k) for k in load_decisions().by_key),
        *(lambda k=k: casework.record_decision(ctx, ref, intruder, k, {}) for k in load_decisions().by_key),
    ]
    for call in calls:
        with pytest.raises(NotAuthorised):
            call()
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case))
        assert (case.state, case.owner_id, dict(case.decisions), list(case.facts)) == before
        refused = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")).all()
        assert len(refused) == len(calls) and {e.actor_id for e in refused} == {intruder}
        assert {e.case_id for e in refused} == {case.id}
        assert uow.session.scalar(select(func.count()).where(AuditEvent.action == "case_opened")) == 0


def test_overview_only_for_the_safeguarding_team_of_each_academy(ctx, clock):
    c = submitted(ctx, CASE_C)
    a = submitted(ctx, CASE_A)
    decide(ctx, a, "acknowledged")
    assert [line.reference for line in casework.dsl_overview(ctx, DEPUTY)] == [c, a]
    assert casework.dsl_overview(ctx, OTHER_DSL) == []
    with pytest.raises(NotAuthorised):
        casework.dsl_overview(ctx, TEACHER)
    with ctx.db.unit_of_work() as uow:
        refused = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")).all()
        assert [(e.actor_id, e.case_id) for e in refused] == [(TEACHER, None)]
    decide(ctx, a, "initial_review", attendees="DSL", summary="s")
    decide(ctx, a, "managed_in_school", referral_decision="none", reason="r", plan="p")
    decide(ctx, a, "parents_informed", how="phone")
    decide(ctx, a, "deletion_requested", deadline="2026-11-24", young_people="AB")
    clock.advance(days=2)
    lines = casework.dsl_overview(ctx, DSL)
    assert [(x.reference, x.overdue) for x in lines] == [(a, True), (c, False)]
    assert lines[0].next.text == "Deletion deadline: Tue 24 Nov 2026"
    assert lines[1].next.text == "Acknowledge the case"


def test_every_effect_named_in_the_file_is_implemented():
    assert set(casework.EFFECTS) == EFFECTS


def test_a_decisions_file_out_of_step_with_the_lifecycle_fails_to_load(tmp_path):
    text = DECISIONS_FILE.read_text()
    broken = text.replace('trigger = "refer"', 'trigger = "refer_now"').replace(
        'facts = ["parents_decided"]', 'facts = ["parents_told"]'
    )
    (tmp_path / "decisions.toml").write_text(broken)
    with pytest.raises(ConfigError) as raised:
        load_decisions(tmp_path / "decisions.toml")
    message = str(raised.value)
    assert "decision referred: unknown trigger refer_now" in message
    assert "decision parents_informed: unknown fact parents_told" in message
    assert "no decision records the fact parents_decided" in message
