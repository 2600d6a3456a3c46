"""Both machines as tables: every legal transition, and illegal moves that must raise."""

from __future__ import annotations

import pytest

from state_machines import GuardFailed, IllegalTransition
from state_machines import case as lifecycle
from state_machines import report as dialogue


def _dialogue(state: str, *, single: bool = True, risk: str = "no") -> dialogue.Dialogue:
    return dialogue.Dialogue(state=state, single_academy=single, answers={"risk": {"immediate_risk": risk}})


@pytest.mark.parametrize(
    ("state", "trigger", "single", "risk", "expected"),
    [
        ("safety", "answer", True, "no", "risk"),
        ("safety", "answer", False, "no", "academy"),
        ("academy", "answer", False, "no", "risk"),
        ("risk", "answer", True, "yes", "risk_actions"),
        ("risk", "answer", True, "no", "young_people"),
        ("risk_actions", "answer", True, "yes", "young_people"),
        ("young_people", "answer", True, "no", "sharing"),
        ("sharing", "answer", True, "no", "concerns"),
        ("concerns", "answer", True, "no", "device"),
        ("device", "answer", True, "no", "account"),
        ("account", "answer", True, "no", "review"),
        ("review", "submit", True, "no", "submitted"),
        ("academy", "back", False, "no", "safety"),
        ("risk", "back", True, "no", "safety"),
        ("risk", "back", False, "no", "academy"),
        ("risk_actions", "back", True, "yes", "risk"),
        ("young_people", "back", True, "yes", "risk_actions"),
        ("young_people", "back", True, "no", "risk"),
        ("sharing", "back", True, "no", "young_people"),
        ("concerns", "back", True, "no", "sharing"),
        ("device", "back", True, "no", "concerns"),
        ("account", "back", True, "no", "device"),
        ("review", "back", True, "no", "account"),
        *[(s, "cancel", True, "no", "cancelled") for s in dialogue.STEPS],
    ],
)
def test_dialogue_legal_moves(state, trigger, single, risk, expected):
    model = _dialogue(state, single=single, risk=risk)
    assert dialogue.MACHINE.fire(model, trigger) == (state, expected)
    assert model.state == expected
    assert not hasattr(model, trigger), "the shared machine must unbind the model after the move"


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        ("safety", "back"),
        ("safety", "submit"),
        ("account", "submit"),
        ("review", "answer"),
        ("submitted", "answer"),
        ("submitted", "back"),
        ("submitted", "cancel"),
        ("cancelled", "answer"),
        ("cancelled", "submit"),
        ("review", "to_submitted"),
    ],
)
def test_dialogue_illegal_moves_raise(state, trigger):
    model = _dialogue(state)
    with pytest.raises(IllegalTransition) as raised:
        dialogue.MACHINE.fire(model, trigger)
    assert state in str(raised.value) and trigger in str(raised.value)
    assert model.state == state


DONE = set(lifecycle.CLOSE_REQUIREMENTS)


@pytest.mark.parametrize(
    ("state", "trigger", "expected"),
    [
        ("reported", "acknowledge", "acknowledged"),
        ("acknowledged", "record_review", "in_review"),
        ("acknowledged", "refer", "referred"),
        ("in_review", "refer", "referred"),
        ("in_review", "manage_in_school", "managed_in_school"),
        ("managed_in_school", "refer", "referred"),
        ("referred", "record_parents", "parents_decided"),
        ("managed_in_school", "record_parents", "parents_decided"),
        ("parents_decided", "request_deletion", "deletion_requested"),
        ("parents_decided", "waive_deletion", "deletion_waived"),
        ("deletion_requested", "mark_deletion_overdue", "deletion_overdue"),
        ("deletion_requested", "confirm_deletion", "deletion_confirmed"),
        ("deletion_overdue", "confirm_deletion", "deletion_confirmed"),
        ("deletion_overdue", "extend_deletion", "deletion_requested"),
        ("deletion_overdue", "waive_deletion", "deletion_waived"),
        ("deletion_confirmed", "close", "closed"),
        ("deletion_waived", "close", "closed"),
        ("closed", "reopen", "reopened"),
        ("reopened", "record_review", "in_review"),
        ("reopened", "refer", "referred"),
        ("in_review", "record_principal_informed", "in_review"),
        ("referred", "record_referral_follow_up", "referred"),
        ("deletion_requested", "record_deletion_for", "deletion_requested"),
        # A referral at any point (SUAT 2019 "At any point in the process ..."): a requested
        # deletion is paused (back to the parents decided stage), other stages keep their place.
        ("referred", "refer", "referred"),
        ("parents_decided", "refer", "parents_decided"),
        ("deletion_requested", "refer", "parents_decided"),
        ("deletion_overdue", "refer", "parents_decided"),
        ("deletion_confirmed", "refer", "deletion_confirmed"),
        ("deletion_waived", "refer", "deletion_waived"),
        ("referred", "record_review", "referred"),
        ("deletion_confirmed", "record_review", "deletion_confirmed"),
    ],
)
def test_case_legal_moves(state, trigger, expected):
    model = lifecycle.CaseFile(state=state, facts=set(DONE))
    assert lifecycle.MACHINE.fire(model, trigger) == (state, expected)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        ("reported", "record_review"),
        ("reported", "refer"),
        ("reported", "close"),
        ("reported", "record_device"),
        ("acknowledged", "manage_in_school"),
        ("acknowledged", "close"),
        ("in_review", "record_parents"),
        ("referred", "request_deletion"),
        ("deletion_requested", "close"),
        ("closed", "acknowledge"),
        ("closed", "add_note"),
        ("closed", "record_viewing"),
        ("closed", "close"),
        ("deletion_confirmed", "reopen"),
    ],
)
def test_case_illegal_moves_raise(state, trigger):
    model = lifecycle.CaseFile(state=state, facts=set(DONE))
    with pytest.raises(IllegalTransition):
        lifecycle.MACHINE.fire(model, trigger)
    assert model.state == state


def test_close_lists_what_is_missing():
    # "category_confirmed" (recorded by earlier versions, also by a change of category) no longer
    # stands for the initial review.
    model = lifecycle.CaseFile(state="deletion_confirmed", facts={"category_confirmed"})
    with pytest.raises(GuardFailed) as raised:
        lifecycle.MACHINE.fire(model, "close")
    assert raised.value.missing == [
        "record that the Principal was informed",
        "hold the initial review meeting (it confirms the category)",
        "record the referral decision",
        "record the parents/carers decision",
        "record the deletion outcome (confirmed, or not required with a reason)",
    ]
    assert model.state == "deletion_confirmed"


BASE_DONE = {
    "principal_informed",
    "initial_review_held",
    "referral_decided",
    "parents_decided",
    "deletion_resolved",
}


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ({"referred"}, ["record the written referral (MARF) sent"]),
        ({"referred", "referral_written"}, []),
        ({"managed_in_school"}, ["hold the further review with the risk questions"]),
        ({"managed_in_school", "further_review_held"}, []),
    ],
)
def test_close_requirements_follow_the_path_taken(path, missing):
    model = lifecycle.CaseFile(state="deletion_waived", facts=BASE_DONE | path)
    assert lifecycle.missing_for_close(model) == missing
    assert ("close" in lifecycle.MACHINE.available(model)) == (not missing)


def test_deletion_with_agencies_involved_needs_their_agreement():
    plain = lifecycle.CaseFile(state="parents_decided")
    involved = lifecycle.CaseFile(state="parents_decided", facts={"agency_involved"})
    assert {"request_deletion", "waive_deletion"} <= set(lifecycle.MACHINE.available(plain))
    assert not {"request_deletion_agreed", "ask_agency_about_deletion"} & set(
        lifecycle.MACHINE.available(plain)
    )
    assert {"request_deletion_agreed", "ask_agency_about_deletion", "waive_deletion"} <= set(
        lifecycle.MACHINE.available(involved)
    )
    with pytest.raises(GuardFailed):
        lifecycle.MACHINE.fire(involved, "request_deletion")
    assert lifecycle.MACHINE.fire(involved, "request_deletion_agreed") == (
        "parents_decided",
        "deletion_requested",
    )


def test_managed_in_school_needs_every_referral_point_answered():
    model = lifecycle.CaseFile(state="in_review", points_unanswered=("An adult is involved",))
    assert "record_referral_point" in lifecycle.MACHINE.available(model)
    with pytest.raises(GuardFailed) as raised:
        lifecycle.MACHINE.fire(model, "manage_in_school")
    assert raised.value.missing == ["record the agency consulted and why no referral: An adult is involved"]
    model.points_unanswered = ()
    assert "record_referral_point" not in lifecycle.MACHINE.available(model)
    assert lifecycle.MACHINE.fire(model, "manage_in_school") == ("in_review", "managed_in_school")


def test_parents_informed_may_follow_not_informed_only():
    model = lifecycle.CaseFile(state="deletion_requested", facts={"parents_decided"})
    assert "inform_parents_later" not in lifecycle.MACHINE.available(model)
    model.facts.add("parents_not_informed")
    assert lifecycle.MACHINE.fire(model, "inform_parents_later") == (
        "deletion_requested",
        "deletion_requested",
    )


def test_deletion_confirmed_only_when_nobody_pending():
    model = lifecycle.CaseFile(state="deletion_requested", deletions_pending=2)
    with pytest.raises(GuardFailed, match="2 young people"):
        lifecycle.MACHINE.fire(model, "confirm_deletion")


def test_available_triggers_respect_guards():
    model = lifecycle.CaseFile(state="deletion_confirmed")
    assert "close" not in lifecycle.MACHINE.available(model)
    model.facts = set(DONE)
    assert "close" in lifecycle.MACHINE.available(model)


def test_no_auto_transitions():
    assert not any(t.startswith("to_") for t in lifecycle.MACHINE.triggers("reported"))
    assert not any(t.startswith("to_") for t in dialogue.MACHINE.triggers("safety"))
