"""What the policy asks to record, through the services on a real SQLite file and real PostgreSQL.

The viewing record, the device search, the Principal's part (the notice of an urgent or aggravated
case, and the response agreed with them) and who spoke with the young person: each rule is
checked by the services, the record is plain decision data, and the audit holds no typed text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select

from conversations.academies import Academies, LocalContact
from conversations.casefile import casework
from conversations.dialogue import reports
from conversations.errors import InvalidAnswer
from conversations.storage.models import AuditEvent, Case
from tests.answers import CASE_A, CASE_C, complete
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER, TEAM, make_context

DSL = OAKFIELD.dsl_users[0]
DEPUTY = OAKFIELD.deputy_users[0]
PRINCIPAL = OAKFIELD.principal_user
SECRET = "SENTINEL-RECORDS"
SAW_IMAGE = "I saw an image (for example a pupil showed me) and have not kept, copied or forwarded it"
VIEWING = {
    "reason": "unavoidable",
    "no_distress": "confirmed",
    "same_sex": "yes",
    "present": DEPUTY,
    "place": "office",
    "viewed_at": "2026-11-23 09:15",
    "actions": f"{SECRET} device secured",
    "not_copied": "confirmed",
}


def submitted(ctx, answers, user=TEACHER) -> str:
    draft = complete(ctx, user, TEAM, answers)
    return reports.submit(ctx, draft.id, user).reference


def acknowledged(ctx, answers=CASE_A) -> str:
    ref = submitted(ctx, answers)
    decide(ctx, ref, "acknowledged")
    return ref


def decide(ctx, ref, key, user=DSL, **values):
    return casework.record_decision(ctx, ref, user, key, values)


def errors(ctx, ref, key, **values) -> dict[str, str]:
    with pytest.raises(InvalidAnswer) as raised:
        decide(ctx, ref, key, **values)
    return raised.value.errors


@dataclass(frozen=True)
class Event:
    case_id: int
    actor_id: str
    reason: str | None
    details: dict


def events(ctx, action: str) -> list[Event]:
    with ctx.db.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [Event(e.case_id, e.actor_id, e.reason, e.details) for e in rows]


def recorded(ctx, ref, key) -> dict[str, str]:
    detail = casework.case_detail(ctx, ref, DSL)
    entry = [d for d in detail.decisions if d.key == key][-1]
    return {r.label: r.value for r in entry.rows}


def test_viewing_record_checks_who_decided_who_viewed_where_and_why(ctx):
    ref = acknowledged(ctx)
    assert casework.decision_form(ctx, ref, DSL, "viewing").defaults == {"decided_by": DSL, "viewed_by": DSL}
    missing = errors(ctx, ref, "viewing", **{k: v for k, v in VIEWING.items() if k != "no_distress"})
    assert missing == {"no_distress": "Please answer this question."}
    assert errors(ctx, ref, "viewing", **VIEWING, decided_by=TEACHER) == {
        "decided_by": "The decision to view is the DSL's: choose a DSL or deputy DSL of this academy."
    }
    assert errors(ctx, ref, "viewing", **VIEWING, viewed_by=TEACHER) == {
        "viewed_by": "Not a DSL or deputy DSL: record below who delegated authority to them."
    }
    assert errors(ctx, ref, "viewing", **VIEWING, viewed_by=TEACHER, delegated_by=DSL) == {
        "delegated_by": "Authority to view is delegated by the Principal."
    }
    assert errors(
        ctx, ref, "viewing", **{**VIEWING, "same_sex": "not_possible", "place": "off_premises"}
    ) == {
        "same_sex_why": "Say why it was not possible.",
        "place_why": "Say why it was not on academy premises.",
    }
    assert errors(ctx, ref, "viewing", **{**VIEWING, "present": DSL}) == {
        "present": "Please choose a different member of staff."
    }

    outcome = decide(
        ctx,
        ref,
        "viewing",
        **{**VIEWING, "present": DSL, "same_sex": "not_possible", "same_sex_why": f"{SECRET} only staff in"},
        viewed_by=TEACHER,
        delegated_by=PRINCIPAL,
    )
    assert outcome.to_state == "acknowledged"  # a record, not a move of the case
    rows = recorded(ctx, ref, "viewing")
    assert rows["Who decided it should be viewed (the DSL)"] == DSL
    assert rows["Who viewed it"] == TEACHER
    assert rows["If the viewer is not a DSL or deputy: who delegated authority (the Principal)"] == PRINCIPAL
    assert rows["Distress"] == "Viewing would not cause significant distress or harm to the pupil"
    assert rows["Viewed by a member of staff of the same sex as the young person?"].startswith("Not possible")
    assert rows["Where"] == "In the DSL's or a senior leader's office"
    assert rows["Second member of staff present"] == DSL
    [event] = events(ctx, "viewing")
    assert (
        "Unavoidable: presented to staff" in event.reason and SECRET not in f"{event.reason}{event.details}"
    )


def test_viewing_needs_no_principal_check_where_none_is_named(database_url, clock):
    academies = Academies({"riverside": RIVERSIDE})
    ctx = make_context(database_url, academies, clock)
    try:
        ref = submitted(ctx, {**CASE_A, "academy": {"academy": "riverside"}}, user=RIVERSIDE.staff_users[0])
        dsl = RIVERSIDE.dsl_users[0]
        decide(ctx, ref, "acknowledged", user=dsl)
        staff = RIVERSIDE.staff_users[0]
        values = {**VIEWING, "present": dsl, "viewed_by": TEACHER, "delegated_by": staff}
        assert decide(ctx, ref, "viewing", user=dsl, **values).decision == "viewing"
    finally:
        ctx.db.engine.dispose()


def test_device_search_under_the_principals_authority(ctx):
    ref = acknowledged(ctx)
    form = casework.decision_form(ctx, ref, DSL, "device_search")
    assert form.defaults["authorised_by"] == PRINCIPAL and form.defaults["searched_by"] == DSL
    not_principal = "Not the Principal: confirm below that they hold the Principal's formal authorisation."
    assert errors(ctx, ref, "device_search", outcome="retained") == {"searched_by": not_principal}
    assert errors(ctx, ref, "device_search", outcome="retained", authorised_by=DEPUTY) == {
        "authorised_by": not_principal,
        "searched_by": not_principal,
    }
    assert errors(ctx, ref, "device_search", outcome="deleted", authority_confirmed="confirmed") == {
        "deletion_agreed_by": "Who agreed to the deletion?"
    }
    decide(
        ctx,
        ref,
        "device_search",
        outcome="deleted",
        authority_confirmed="confirmed",
        deletion_agreed_by="No agency involved",
        searched_at="2026-11-23 09:40",
        notes=f"{SECRET} phone gallery",
    )
    decide(ctx, ref, "device_search", outcome="handed_to_police", searched_by=PRINCIPAL)
    first, second = [d for d in casework.case_detail(ctx, ref, DSL).decisions if d.key == "device_search"]
    rows = {r.label: r.value for r in first.rows}
    assert rows["Search authorised by (the Principal, or someone they formally authorised)"] == PRINCIPAL
    assert rows["Outcome"] == "Material deleted, after agreement with the agencies involved"
    assert rows["When"] == "Mon 23 Nov 2026 09:40"
    assert second.values["outcome"] == "handed_to_police" and second.values["searched_by"] == PRINCIPAL
    assert [e.reason for e in events(ctx, "device_search")] == [
        "They hold the Principal's formal authorisation to search devices; "
        "Material deleted, after agreement with the agencies involved",
        "Handed to the police",
    ]
    assert SECRET not in str([(e.reason, e.details) for e in events(ctx, "device_search")])


def test_managed_in_school_records_the_response_agreed_with_the_principal(ctx, clock):
    ref = acknowledged(ctx)
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    form = casework.decision_form(ctx, ref, DSL, "managed_in_school")
    assert form.defaults == {"principal": PRINCIPAL, "principal_agreed_at": "2026-11-23 10:00"}
    plan = {"referral_decision": "none", "reason": "r", "plan": "p"}
    assert errors(ctx, ref, "managed_in_school", **plan, principal=DSL) == {
        "principal": "Choose the Principal: they agree the academy's response."
    }
    decide(
        ctx,
        ref,
        "managed_in_school",
        **plan,
        principal_agreed_at="2026-11-23 09:30",
        also_consulted=["deputy", "chair_lac"],
    )
    rows = recorded(ctx, ref, "managed_in_school")
    assert rows["Response agreed with the Principal: who"] == PRINCIPAL
    assert rows["When it was agreed with the Principal"] == "Mon 23 Nov 2026 09:30"
    assert rows["Others consulted on the response"] == (
        "A deputy DSL; The Chair of the Local Academy Council"
    )


def test_a_referral_need_not_wait_for_the_principal_but_records_them_when_agreed(ctx):
    referral = {"agency": "police", "agency_reference": "MASH-1", "reason": "Risk"}
    waited = acknowledged(ctx, CASE_C)
    assert casework.decision_form(ctx, waited, DSL, "referred").defaults.get("principal") is None
    assert errors(ctx, waited, "referred", **referral, principal=PRINCIPAL) == {
        "principal_agreed_at": "When was the response agreed with the Principal?"
    }
    wrong = errors(
        ctx, waited, "referred", **referral, principal=DEPUTY, principal_agreed_at="2026-11-23 09:50"
    )
    assert wrong == {"principal": "Choose the Principal: they agree the academy's response."}
    decide(ctx, waited, "referred", **referral, principal=PRINCIPAL, principal_agreed_at="2026-11-23 09:50")
    rows = recorded(ctx, waited, "referred")
    assert (
        rows["Response agreed with the Principal: who (leave empty if the referral could not wait)"]
        == PRINCIPAL
    )
    at_once = acknowledged(ctx, CASE_C)
    assert decide(ctx, at_once, "referred", **referral).to_state == "referred"


def test_who_spoke_with_the_young_person(ctx):
    ref = acknowledged(ctx)
    decide(ctx, ref, "initial_review", attendees="DSL", summary="s")
    review = {
        "why_shared": "w",
        "who_where": "w",
        "adults": "No",
        "impact": "i",
        "vulnerabilities": "v",
        "consent": "c",
        "previous": "p",
        "online": "no",
        "containment": ["none_needed"],
    }
    assert errors(ctx, ref, "further_review", interview="held", **review) == {
        "interviewed_on": "When was the interview?",
        "interviewed_by": "Who spoke with the young person?",
        "interviewer": "The DSL, or an adult the young person was more comfortable with?",
    }
    held = {"interview": "held", "interviewed_on": "2026-11-23", **review}
    assert errors(ctx, ref, "further_review", **held, interviewed_by=TEACHER, interviewer="dsl") == {
        "interviewed_by": "Not a DSL or deputy DSL: if the young person chose this adult, say so below."
    }
    decide(ctx, ref, "further_review", **held, interviewed_by=TEACHER, interviewer="trusted_adult")
    decide(ctx, ref, "further_review", interview="not_held", **review)  # nothing more is asked
    rows = recorded(ctx, ref, "further_review")
    assert rows["Interview with the young people"].startswith("Not held")
    first = next(d for d in casework.case_detail(ctx, ref, DSL).decisions if d.key == "further_review")
    rows = {r.label: r.value for r in first.rows}
    assert rows["Who spoke with the young person"] == TEACHER
    assert rows["Who they were"] == "An adult the young person felt more comfortable talking to"
    assert rows["Date of the interview"] == "Mon 23 Nov 2026"


def test_the_principal_is_told_once_of_an_aggravated_or_urgent_case(ctx):
    # Told in the transaction that submits the report (or raises the urgent alert), by outbox.
    sent = reports.submit(ctx, complete(ctx, TEACHER, TEAM, CASE_C).id, TEACHER)
    aggravated, notice = sent.reference, sent.principal
    assert notice.user_id == PRINCIPAL and notice.alert.reference == aggravated
    assert notice.message in sent.messages
    assert casework.principal_notice(ctx, aggravated) is None
    urgent = submitted(ctx, {**CASE_A, "risk": {"immediate_risk": "yes"}})
    assert casework.principal_notice(ctx, urgent) is None
    romantic = acknowledged(ctx)
    assert casework.principal_notice(ctx, romantic) is None
    review = {"attendees": "DSL", "summary": "s", "category": "intent_to_harm", "category_reason": "r"}
    decide(ctx, romantic, "initial_review", **review)
    assert casework.principal_notice(ctx, romantic).user_id == PRINCIPAL
    told = events(ctx, "principal_alerted")
    with ctx.db.unit_of_work() as uow:
        refs = dict(uow.session.execute(select(Case.id, Case.reference)).all())
    assert [(refs[e.case_id], e.reason, e.actor_id) for e in told] == [
        (aggravated, "aggravated", "ypsi-bot"),
        (urgent, "urgent", "ypsi-bot"),
        (romantic, "aggravated", "ypsi-bot"),
    ]


@pytest.mark.parametrize(
    "academy",
    [replace(OAKFIELD, principal_user=""), replace(OAKFIELD, dsl_users=(DSL, PRINCIPAL))],
    ids=["no principal named", "the principal is a DSL"],
)
def test_no_notice_without_a_principal_or_when_the_principal_is_a_dsl(database_url, clock, academy):
    ctx = make_context(database_url, Academies({"oakfield": academy}), clock)
    try:
        assert casework.principal_notice(ctx, submitted(ctx, CASE_C)) is None
        assert events(ctx, "principal_alerted") == []
    finally:
        ctx.db.engine.dispose()


def test_contacts_at_hand_for_each_step_the_academys_own_first(database_url, clock):
    local = LocalContact("Oakfield's local authority duty desk", phone="01234 567890", audience=("referral",))
    ctx = make_context(database_url, Academies({"oakfield": replace(OAKFIELD, contacts=(local,))}), clock)
    try:
        ref = acknowledged(ctx, CASE_C)

        def names(key: str) -> list[str]:
            return [c.name for c in casework.decision_form(ctx, ref, DSL, key).contacts]

        referral = casework.decision_form(ctx, ref, DSL, "referred").contacts
        assert referral[0].name == local.name and referral[0].phone == "01234 567890"
        phones = {c.name: c.phone for c in referral}
        assert phones["Stoke-on-Trent Safeguarding Referral Team"] == "01782 235100"
        assert phones["Stoke-on-Trent Emergency Duty Team (out of hours)"] == "01782 234234"
        assert "07815 492613" in phones["Staffordshire Emergency Duty Service (out of hours)"]
        assert {"999", "101", "0800 1313 126"} <= set(phones.values())
        assert names("advice_sought") == [
            "Education Safeguarding Advice Service (ESAS)",
            "Marie Collins Foundation: further advice on a sexting matter",
        ]
        decide(ctx, ref, "referred", agency="police", agency_reference="MASH-1", reason="Risk")
        parents = names("parents_informed")
        assert "NSPCC Helpline (parents and carers)" in parents
        assert "CEOP Thinkuknow: nude selfies, a parents' guide" in parents
        assert names("parents_not_informed") == parents
        assert names("note") == []
        case = [c.name for c in casework.case_detail(ctx, ref, DSL).contacts]
        assert local.name not in case  # its `for` names the referral only
        assert "CEOP: report adult contact" in case and "Stoke-on-Trent Safeguarding Referral Team" in case
    finally:
        ctx.db.engine.dispose()


def test_a_member_of_staff_who_saw_an_image_flags_the_case_and_is_asked_nothing_more(ctx):
    draft = reports.start(ctx, TEAM, TEACHER)
    after = reports.answer(ctx, draft.id, TEACHER, {"understood": "saw_image"}).draft
    plain = reports.start(ctx, TEAM, "U0OAKDEP00")
    assert after.state == reports.answer(ctx, plain.id, "U0OAKDEP00", {"understood": "yes"}).draft.state
    seen = submitted(ctx, {**CASE_A, "safety": {"understood": "saw_image"}})
    detail = casework.case_detail(ctx, seen, DSL)
    assert detail.staff_saw_image
    safety = next(rows for title, rows in detail.answer_sections if title == "Before you start")
    assert {r.label: r.value for r in safety} == {"Which is true for you?": SAW_IMAGE}
    assert not casework.case_detail(ctx, submitted(ctx, CASE_A), DSL).staff_saw_image
