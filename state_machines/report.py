"""The report dialogue a member of staff walks through: one state per step of DESIGN.md.

Branches: the academy step is skipped when the reporter belongs to one academy; answering
"yes" to immediate risk inserts the `risk_actions` step (emergency contacts, DSL alerted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from state_machines.engine import MachineSpec, SharedMachine

SAFETY = "safety"
ACADEMY = "academy"
RISK = "risk"
RISK_ACTIONS = "risk_actions"
YOUNG_PEOPLE = "young_people"
SHARING = "sharing"
CONCERNS = "concerns"
DEVICE = "device"
ACCOUNT = "account"
REVIEW = "review"
SUBMITTED = "submitted"
CANCELLED = "cancelled"

STEPS = [SAFETY, ACADEMY, RISK, RISK_ACTIONS, YOUNG_PEOPLE, SHARING, CONCERNS, DEVICE, ACCOUNT, REVIEW]
STATES = [*STEPS, SUBMITTED, CANCELLED]
FINAL = (SUBMITTED, CANCELLED)

# Declarative table: what each step accepts and where it goes. Rows for one trigger and source
# are tried in order; the first whose conditions hold wins.
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "answer", "source": SAFETY, "dest": RISK, "conditions": "single_academy"},
    {"trigger": "answer", "source": SAFETY, "dest": ACADEMY},
    {"trigger": "answer", "source": ACADEMY, "dest": RISK},
    {"trigger": "answer", "source": RISK, "dest": RISK_ACTIONS, "conditions": "immediate_risk"},
    {"trigger": "answer", "source": RISK, "dest": YOUNG_PEOPLE},
    {"trigger": "answer", "source": RISK_ACTIONS, "dest": YOUNG_PEOPLE},
    {"trigger": "answer", "source": YOUNG_PEOPLE, "dest": SHARING},
    {"trigger": "answer", "source": SHARING, "dest": CONCERNS},
    {"trigger": "answer", "source": CONCERNS, "dest": DEVICE},
    {"trigger": "answer", "source": DEVICE, "dest": ACCOUNT},
    {"trigger": "answer", "source": ACCOUNT, "dest": REVIEW},
    {"trigger": "submit", "source": REVIEW, "dest": SUBMITTED},
    {"trigger": "back", "source": ACADEMY, "dest": SAFETY},
    {"trigger": "back", "source": RISK, "dest": SAFETY, "conditions": "single_academy"},
    {"trigger": "back", "source": RISK, "dest": ACADEMY},
    {"trigger": "back", "source": RISK_ACTIONS, "dest": RISK},
    {"trigger": "back", "source": YOUNG_PEOPLE, "dest": RISK_ACTIONS, "conditions": "immediate_risk"},
    {"trigger": "back", "source": YOUNG_PEOPLE, "dest": RISK},
    {"trigger": "back", "source": SHARING, "dest": YOUNG_PEOPLE},
    {"trigger": "back", "source": CONCERNS, "dest": SHARING},
    {"trigger": "back", "source": DEVICE, "dest": CONCERNS},
    {"trigger": "back", "source": ACCOUNT, "dest": DEVICE},
    {"trigger": "back", "source": REVIEW, "dest": ACCOUNT},
    {"trigger": "cancel", "source": STEPS, "dest": CANCELLED},
]


@dataclass
class Dialogue:
    """The dialogue's view of a draft: where it is and the facts its branches depend on."""

    state: str = SAFETY
    single_academy: bool = True
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def immediate_risk(self) -> bool:
        return self.answers.get(RISK, {}).get("immediate_risk") == "yes"


def _missing(model: Dialogue, trigger: str) -> list[str]:
    return []


SPEC = MachineSpec(
    kind="report dialogue",
    states=STATES,
    transitions=TRANSITIONS,
    initial=SAFETY,
    missing=_missing,
)
MACHINE = SharedMachine(SPEC)
