"""Report services on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from conversations.casefile import cases
from conversations.dialogue import reports
from conversations.errors import InvalidAnswer, NotAllowedNow, NotAuthorised, NotFound
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case
from tests.answers import CASE_A, CASE_C, complete
from tests.conftest import OAKFIELD, RIVERSIDE, ROAMING, TEACHER, TEAM


def test_single_academy_skips_the_academy_step(ctx):
    draft = reports.start(ctx, TEAM, TEACHER)
    assert draft.academy_key == "oakfield"
    draft = reports.answer(ctx, draft.id, TEACHER, CASE_A["safety"]).draft
    assert draft.state == "risk"


def test_several_academies_ask_which(ctx):
    draft = reports.start(ctx, TEAM, ROAMING)
    draft = reports.answer(ctx, draft.id, ROAMING, CASE_A["safety"]).draft
    assert draft.state == "academy"
    assert draft.choices["academy"] == {"oakfield": OAKFIELD.name, "riverside": RIVERSIDE.name}
    draft = reports.answer(ctx, draft.id, ROAMING, {"academy": "riverside"}).draft
    assert (draft.state, draft.academy_key) == ("risk", "riverside")


def test_draft_is_resumed_not_duplicated(ctx):
    first = reports.start(ctx, TEAM, TEACHER)
    reports.answer(ctx, first.id, TEACHER, CASE_A["safety"])
    again = reports.start(ctx, TEAM, TEACHER)
    assert again.id == first.id and again.resumed and again.state == "risk"
    fresh = reports.start(ctx, TEAM, TEACHER, restart=True)
    assert fresh.id != first.id and fresh.state == "safety" and not fresh.resumed


def test_invalid_answer_keeps_the_step_and_earlier_answers(ctx):
    draft = reports.start(ctx, TEAM, TEACHER)
    draft = reports.answer(ctx, draft.id, TEACHER, CASE_A["safety"]).draft
    with pytest.raises(InvalidAnswer):
        reports.answer(ctx, draft.id, TEACHER, {"immediate_risk": ""})
    kept = reports.get(ctx, draft.id, TEACHER)
    assert kept.state == "risk" and kept.answers["safety"] == {"understood": "yes"}


def test_back_keeps_answers(ctx):
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    draft = reports.back(ctx, draft.id, TEACHER)
    assert draft.state == "account"
    assert draft.answers["account"]["account"] == CASE_A["account"]["account"]


def test_another_users_draft_is_not_found(ctx):
    draft = reports.start(ctx, TEAM, TEACHER)
    with pytest.raises(NotFound):
        reports.answer(ctx, draft.id, ROAMING, CASE_A["safety"])
    with pytest.raises(NotFound):
        reports.get(ctx, draft.id, ROAMING)


def test_submit_makes_one_case_however_often(ctx):
    draft = complete(ctx, TEACHER, TEAM, CASE_C)
    first = reports.submit(ctx, draft.id, TEACHER)
    second = reports.submit(ctx, draft.id, TEACHER)
    assert first.first_time and not second.first_time
    assert first.reference == second.reference == "YPSI-2026-0001"
    assert first.alert.category_label == "Aggravated: youth only, intent to harm"
    with ctx.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 1
        case = uow.session.scalar(select(Case))
        assert case.triggers == ["aggravated"] and case.state == "reported"
    with pytest.raises(NotAllowedNow):
        reports.answer(ctx, draft.id, TEACHER, CASE_A["account"])


def test_immediate_risk_creates_the_case_at_once(ctx):
    draft = reports.start(ctx, TEAM, TEACHER)
    reports.answer(ctx, draft.id, TEACHER, CASE_A["safety"])
    outcome = reports.answer(ctx, draft.id, TEACHER, {"immediate_risk": "yes"})
    assert outcome.draft.state == "risk_actions"
    assert outcome.urgent_alert is not None and outcome.urgent_alert.urgent
    assert outcome.urgent_alert.in_progress and outcome.urgent_alert.channel == OAKFIELD.dsl_channel
    # Going back and answering again must not alert twice.
    reports.back(ctx, draft.id, TEACHER)
    again = reports.answer(ctx, draft.id, TEACHER, {"immediate_risk": "yes"})
    assert again.urgent_alert is None
    answers = {**CASE_A, "risk": {"immediate_risk": "yes"}}
    draft = reports.answer(ctx, draft.id, TEACHER, answers["risk_actions"]).draft
    while draft.state != "review":
        draft = reports.answer(ctx, draft.id, TEACHER, answers[draft.state]).draft
    sent = reports.submit(ctx, draft.id, TEACHER)
    assert sent.reference == outcome.urgent_alert.reference and sent.alert.urgent
    assert not sent.alert.in_progress


def test_references_unique_under_concurrent_submits(ctx):
    users = [f"U0CONC{i:04d}" for i in range(8)]
    drafts = [complete(ctx, u, TEAM, {**CASE_A, "academy": {"academy": "oakfield"}}) for u in users]
    refs: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(users))

    def go(user, draft):
        barrier.wait()
        try:
            refs.append(reports.submit(ctx, draft.id, user).reference)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(users, drafts, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if ctx.db.engine.dialect.name == "sqlite":
        # SQLite serialises writers; a writer that waits too long fails cleanly, never duplicates.
        assert all("locked" in str(e) for e in errors)
    else:
        assert errors == []
    assert len(refs) == len(set(refs)) == len(users) - len(errors)


def test_every_step_is_audited_in_an_intact_chain(ctx):
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    ref = reports.submit(ctx, draft.id, TEACHER).reference
    cases.acknowledge(ctx, ref, OAKFIELD.dsl_users[0])
    with ctx.db.unit_of_work() as uow:
        actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["case_created", "report_submitted", "acknowledged"]
        checked, broken = audit.verify(uow.session)
        assert (checked, broken) == (3, [])


def test_audit_events_cannot_be_updated_or_deleted(ctx):
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    reports.submit(ctx, draft.id, TEACHER)
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with ctx.db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text(statement))


def test_other_academy_dsl_is_refused_and_audited(ctx):
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    ref = reports.submit(ctx, draft.id, TEACHER).reference
    with pytest.raises(NotAuthorised):
        cases.acknowledge(ctx, ref, RIVERSIDE.dsl_users[0])
    assert cases.open_cases(ctx, RIVERSIDE.dsl_users[0]) == []
    assert [c.reference for c in cases.open_cases(ctx, OAKFIELD.deputy_users[0])] == [ref]
    with ctx.db.unit_of_work() as uow:
        refused = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_refused")).all()
        assert [e.actor_id for e in refused] == [RIVERSIDE.dsl_users[0]]
        assert uow.session.scalar(select(Case.state)) == "reported"


def test_workspace_with_no_academy_is_told_who_to_ask(ctx):
    from dataclasses import replace

    from conversations.academies import Academies

    elsewhere = Academies({"oakfield": replace(OAKFIELD, team_id="T0ELSEWHERE", staff_users=())})
    other = replace(ctx, academies=elsewhere)
    with pytest.raises(NotAuthorised, match="ask your DSL"):
        reports.start(other, TEAM, ROAMING)
