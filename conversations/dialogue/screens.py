"""Which screen of the report dialog a draft shows, as plain data every front end draws.

A draft shows one of four screens: a step (its questions prefilled, and the contacts that step
shows), the review (the answers and what the policy raises), the end once sent, or a notice once
discarded. Choosing here keeps Slack's modals and Teams' dialogs showing the same screen for the
same draft; each front end only draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conversations.casefile.readable import Row, answer_rows
from conversations.dialogue.reports import DraftView
from conversations.guidance.policy import Contact, Guidance, Step, Suggestion
from state_machines import report as dialogue

# Steps that show contacts under their questions, by audience in guidance.toml.
STEP_CONTACTS = {dialogue.RISK_ACTIONS: "emergency"}


@dataclass(frozen=True)
class StepScreen:
    """One step's questions prefilled with `answers`; the first step has no Back.

    `draft_id` is empty before any draft exists: answering the first step creates one.
    """

    step: Step
    draft_id: str
    answers: dict[str, Any]
    choices: dict[str, dict[str, str]]
    contacts: Sequence[Contact]
    first: bool


@dataclass(frozen=True)
class ReviewScreen:
    """The reporter's answers as (step title, rows), and what the policy raises about them."""

    draft_id: str
    suggestion: Suggestion
    sections: Sequence[tuple[str, Sequence[Row]]]


@dataclass(frozen=True)
class SentScreen:
    """The report is sent: its reference."""

    reference: str


@dataclass(frozen=True)
class DiscardedScreen:
    """The draft was discarded: nothing left to show but that."""


Screen = StepScreen | ReviewScreen | SentScreen | DiscardedScreen


def screen_for(guidance: Guidance, draft: DraftView) -> Screen:
    """The screen for where a draft is now: a step, the review, or the end."""
    if draft.state == dialogue.SUBMITTED and draft.reference:
        return SentScreen(draft.reference)
    if draft.finished:
        return DiscardedScreen()
    if draft.state == dialogue.REVIEW:
        sections = answer_rows(guidance, draft.answers, draft.choices)
        return ReviewScreen(draft.id, guidance.classify(draft.answers), sections)
    return step_screen(guidance, draft.state, draft.id, draft.answers.get(draft.state, {}), draft.choices)


def step_screen(
    guidance: Guidance,
    step: str,
    draft_id: str = "",
    answers: dict[str, Any] | None = None,
    choices: dict[str, dict[str, str]] | None = None,
) -> StepScreen:
    """One step of the dialogue, prefilled with `answers` (field key → value)."""
    audience = STEP_CONTACTS.get(step)
    return StepScreen(
        guidance.steps[step],
        draft_id,
        answers or {},
        choices or {},
        guidance.contacts_for(audience) if audience else (),
        first=step == dialogue.SAFETY,
    )


def opening_screen(guidance: Guidance) -> StepScreen:
    """The first step before any draft exists."""
    return step_screen(guidance, dialogue.SAFETY)
