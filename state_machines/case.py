"""The case lifecycle a DSL takes a report through, with the policy's guards as data.

Decisions that do not move the case (principal informed, advice sought, device, viewing
record, further review, per-person deletion) are internal transitions: legal only in the
states listed, so nothing can be recorded on a closed case without reopening it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from state_machines.engine import MachineSpec, SharedMachine

REPORTED = "reported"
ACKNOWLEDGED = "acknowledged"
IN_REVIEW = "in_review"
REFERRED = "referred"
MANAGED_IN_SCHOOL = "managed_in_school"
PARENTS_DECIDED = "parents_decided"
DELETION_REQUESTED = "deletion_requested"
DELETION_CONFIRMED = "deletion_confirmed"
DELETION_OVERDUE = "deletion_overdue"
DELETION_WAIVED = "deletion_waived"
CLOSED = "closed"
REOPENED = "reopened"

STATES = [
    REPORTED,
    ACKNOWLEDGED,
    IN_REVIEW,
    REFERRED,
    MANAGED_IN_SCHOOL,
    PARENTS_DECIDED,
    DELETION_REQUESTED,
    DELETION_CONFIRMED,
    DELETION_OVERDUE,
    DELETION_WAIVED,
    CLOSED,
    REOPENED,
]
OPEN_STATES = [s for s in STATES if s != CLOSED]
OWNED = [s for s in OPEN_STATES if s != REPORTED]
DECIDED = [REFERRED, MANAGED_IN_SCHOOL]
AFTER_PARENTS = [PARENTS_DECIDED, DELETION_REQUESTED, DELETION_CONFIRMED, DELETION_OVERDUE, DELETION_WAIVED]

# Facts a case must have recorded before it can close, with the words the DSL sees.
CLOSE_REQUIREMENTS: dict[str, str] = {
    "category_confirmed": "confirm the category at the initial review",
    "referral_decided": "record the referral decision",
    "parents_decided": "record the parents/carers decision",
    "deletion_resolved": "record the deletion outcome (confirmed, or not required with a reason)",
}

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "acknowledge", "source": REPORTED, "dest": ACKNOWLEDGED},
    {"trigger": "record_review", "source": [ACKNOWLEDGED, REOPENED], "dest": IN_REVIEW},
    # The policy: at any point, a concern of harm means an immediate referral.
    {"trigger": "refer", "source": [ACKNOWLEDGED, IN_REVIEW, MANAGED_IN_SCHOOL, REOPENED], "dest": REFERRED},
    {"trigger": "manage_in_school", "source": IN_REVIEW, "dest": MANAGED_IN_SCHOOL},
    {"trigger": "record_parents", "source": DECIDED, "dest": PARENTS_DECIDED},
    {"trigger": "request_deletion", "source": PARENTS_DECIDED, "dest": DELETION_REQUESTED},
    {
        "trigger": "waive_deletion",
        "source": [PARENTS_DECIDED, DELETION_REQUESTED, DELETION_OVERDUE],
        "dest": DELETION_WAIVED,
    },
    {"trigger": "mark_deletion_overdue", "source": DELETION_REQUESTED, "dest": DELETION_OVERDUE},
    {
        "trigger": "extend_deletion",
        "source": [DELETION_REQUESTED, DELETION_OVERDUE],
        "dest": DELETION_REQUESTED,
    },
    {
        "trigger": "confirm_deletion",
        "source": [DELETION_REQUESTED, DELETION_OVERDUE],
        "dest": DELETION_CONFIRMED,
        "conditions": "all_deletions_confirmed",
    },
    {
        "trigger": "close",
        "source": [DELETION_CONFIRMED, DELETION_WAIVED],
        "dest": CLOSED,
        "conditions": "ready_to_close",
    },
    {"trigger": "reopen", "source": CLOSED, "dest": REOPENED},
    # Decisions recorded without moving the case.
    {"trigger": "record_principal_informed", "source": OWNED, "dest": None},
    {"trigger": "record_advice", "source": OWNED, "dest": None},
    {"trigger": "record_category", "source": OWNED, "dest": None},
    {
        "trigger": "record_further_review",
        "source": [IN_REVIEW, MANAGED_IN_SCHOOL, *AFTER_PARENTS],
        "dest": None,
    },
    {"trigger": "record_device", "source": OWNED, "dest": None},
    {"trigger": "record_viewing", "source": OWNED, "dest": None},
    {"trigger": "record_referral_follow_up", "source": [REFERRED, *AFTER_PARENTS], "dest": None},
    {"trigger": "record_deletion_for", "source": [DELETION_REQUESTED, DELETION_OVERDUE], "dest": None},
    {"trigger": "add_note", "source": OPEN_STATES, "dest": None},
]


@dataclass
class CaseFile:
    """The lifecycle's view of a case: its state and which facts have been recorded."""

    state: str = REPORTED
    facts: set[str] = field(default_factory=set)
    deletions_pending: int = 0

    @property
    def all_deletions_confirmed(self) -> bool:
        return self.deletions_pending == 0

    @property
    def ready_to_close(self) -> bool:
        return not missing_for_close(self)


def missing_for_close(case: CaseFile) -> list[str]:
    """What must be recorded before the case can close, in the DSL's words."""
    return [text for fact, text in CLOSE_REQUIREMENTS.items() if fact not in case.facts]


def _missing(case: CaseFile, trigger: str) -> list[str]:
    if trigger == "confirm_deletion":
        return [f"confirm deletion for the {case.deletions_pending} young people still pending"]
    return missing_for_close(case)


SPEC = MachineSpec(
    kind="case",
    states=STATES,
    transitions=TRANSITIONS,
    initial=REPORTED,
    missing=_missing,
)
MACHINE = SharedMachine(SPEC)
