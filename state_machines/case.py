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


@dataclass(frozen=True)
class Requirement:
    """Something a case must have recorded before it can close; `applies_if` names the path it
    belongs to (a fact), so a managed-in-school case is never asked for a written referral."""

    text: str
    applies_if: str = ""


# What must be recorded before a case can close, with the words the DSL sees. Facts are recorded
# by decisions (decisions.toml `facts`) or read from the case's history (HISTORY_FACTS).
CLOSE_REQUIREMENTS: dict[str, Requirement] = {
    # SUAT 2019: "The Safeguarding Lead should inform the Principal (if the Lead is not the
    # Principal) and hold an initial review meeting with appropriate academy staff."
    "principal_informed": Requirement("record that the Principal was informed"),
    "initial_review_held": Requirement("hold the initial review meeting (it confirms the category)"),
    "referral_decided": Requirement("record the referral decision"),
    # SUAT 2019: "The referral must be followed up in writing using a Multi-Agency Referral Form
    # (MARF) within 48 hrs".
    "referral_written": Requirement("record the written referral (MARF) sent", applies_if="referred"),
    # SUAT 2019: "If at the initial review stage a decision has been made not to refer ... the
    # Safeguarding Lead should conduct a further review ... to establish the facts and assess the risks."
    "further_review_held": Requirement(
        "hold the further review with the risk questions", applies_if="managed_in_school"
    ),
    "parents_decided": Requirement("record the parents/carers decision"),
    "deletion_resolved": Requirement(
        "record the deletion outcome (confirmed, or not required with a reason)"
    ),
}

# Facts the application reads from the case's history and stored classification (not recorded
# by a decision): the services compute them for every move (conversations/cases.case_file).
HISTORY_FACTS: dict[str, str] = {
    "principal_informed": "a Principal informed decision is recorded",
    "initial_review_held": "an initial review meeting is recorded (a change of category is not one)",
    "referred": "a referral is recorded",
    "managed_in_school": "managed in school is recorded and no referral",
    "referral_written": "a written referral is recorded for every referral",
    "further_review_held": "a further review is recorded",
    "parents_not_informed": "the latest parents/carers decision is 'not informed'",
    "agency_involved": "a referral is recorded, or an immediate-referral point fired",
    "referral_indicated": "an immediate-referral point fired with neither a referral nor a record of why not",
}

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "acknowledge", "source": REPORTED, "dest": ACKNOWLEDGED},
    {"trigger": "record_review", "source": [ACKNOWLEDGED, REOPENED], "dest": IN_REVIEW},
    # A review held after the case moved on (or a second meeting) is recorded where it is.
    {
        "trigger": "record_review",
        "source": [IN_REVIEW, REFERRED, MANAGED_IN_SCHOOL, *AFTER_PARENTS],
        "dest": None,
    },
    # SUAT 2019: "At any point in the process if there is a concern a young person has been
    # harmed or is at risk of harm a referral should be made to children's social care and/or
    # the police immediately." So `refer` is legal in every owned state.
    {
        "trigger": "refer",
        "source": [ACKNOWLEDGED, IN_REVIEW, MANAGED_IN_SCHOOL, REOPENED, REFERRED],
        "dest": REFERRED,
    },
    # After the parents decision the case keeps its place; a requested deletion is paused
    # (the agencies decide whether the imagery may be deleted: it may be evidence).
    {"trigger": "refer", "source": [DELETION_REQUESTED, DELETION_OVERDUE], "dest": PARENTS_DECIDED},
    {"trigger": "refer", "source": [PARENTS_DECIDED, DELETION_CONFIRMED, DELETION_WAIVED], "dest": None},
    {
        "trigger": "manage_in_school",
        "source": IN_REVIEW,
        "dest": MANAGED_IN_SCHOOL,
        "conditions": "referral_points_answered",
    },
    {"trigger": "record_parents", "source": DECIDED, "dest": PARENTS_DECIDED},
    # SUAT 2019: the agencies "would take the lead in deciding when the parents should be informed".
    {"trigger": "inform_parents_later", "source": OWNED, "dest": None, "conditions": "parents_not_informed"},
    # SUAT 2019: "If the academy has decided that other agencies do not need to be involved, then
    # consideration should be given to deleting imagery": otherwise only with their agreement.
    {
        "trigger": "request_deletion",
        "source": PARENTS_DECIDED,
        "dest": DELETION_REQUESTED,
        "unless": "agency_involved",
    },
    {
        "trigger": "request_deletion_agreed",
        "source": PARENTS_DECIDED,
        "dest": DELETION_REQUESTED,
        "conditions": "agency_involved",
    },
    {"trigger": "ask_agency_about_deletion", "source": OWNED, "dest": None, "conditions": "agency_involved"},
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
    # UKCIS 2024 (paraphrased): an immediate-referral point means refer; not referring needs,
    # for each point, the agency consulted and why no referral.
    {"trigger": "record_referral_point", "source": OWNED, "dest": None, "conditions": "referral_points_open"},
    {"trigger": "record_device", "source": OWNED, "dest": None},
    {"trigger": "record_viewing", "source": OWNED, "dest": None},
    {"trigger": "record_referral_follow_up", "source": [REFERRED, *AFTER_PARENTS], "dest": None},
    {"trigger": "record_deletion_for", "source": [DELETION_REQUESTED, DELETION_OVERDUE], "dest": None},
    {"trigger": "add_note", "source": OPEN_STATES, "dest": None},
]


@dataclass
class CaseFile:
    """The lifecycle's view of a case: its state, the facts that hold, deletions still pending
    and the immediate-referral points that fired with no referral and no record of why not."""

    state: str = REPORTED
    facts: set[str] = field(default_factory=set)
    deletions_pending: int = 0
    points_unanswered: tuple[str, ...] = ()

    @property
    def all_deletions_confirmed(self) -> bool:
        return self.deletions_pending == 0

    @property
    def ready_to_close(self) -> bool:
        return not missing_for_close(self)

    @property
    def referral_points_answered(self) -> bool:
        return not self.points_unanswered

    @property
    def referral_points_open(self) -> bool:
        return bool(self.points_unanswered)

    @property
    def agency_involved(self) -> bool:
        return "agency_involved" in self.facts

    @property
    def parents_not_informed(self) -> bool:
        return "parents_not_informed" in self.facts


def missing_for_close(case: CaseFile) -> list[str]:
    """What must be recorded before the case can close, in the DSL's words (only what applies)."""
    return [
        r.text
        for fact, r in CLOSE_REQUIREMENTS.items()
        if fact not in case.facts and (not r.applies_if or r.applies_if in case.facts)
    ]


def _missing(case: CaseFile, trigger: str) -> list[str]:
    if trigger == "confirm_deletion":
        return [f"confirm deletion for the {case.deletions_pending} young people still pending"]
    if trigger == "manage_in_school":
        return [f"record the agency consulted and why no referral: {p}" for p in case.points_unanswered]
    if trigger == "close":
        return missing_for_close(case)
    # The other guards choose between paths (with or without the agencies): nothing to record.
    return []


SPEC = MachineSpec(
    kind="case",
    states=STATES,
    transitions=TRANSITIONS,
    initial=REPORTED,
    missing=_missing,
)
MACHINE = SharedMachine(SPEC)
