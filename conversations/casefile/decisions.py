"""The DSL's decisions as data: loads `decisions.toml` and checks it against the case lifecycle.

Each decision names the lifecycle trigger it fires and the close-requirement facts it records;
a file that names a trigger the machine lacks, or leaves a close requirement unreachable,
fails to load with a ConfigError naming the entry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from conversations.errors import ConfigError, NotFound
from conversations.guidance.policy import FIELD_TYPES, Field, Step
from state_machines import case as lifecycle

DECISIONS_FILE = Path(__file__).with_name("decisions.toml")
# Symbolic defaults the services know how to resolve for a case and the person recording.
DEFAULTS = {"me", "reporter", "now", "today", "suggested", "principal"}
# Choice fields whose options come from the case rather than the file.
CASE_CHOICES = {"category", "deletions", "point"}
# What a decision does to the case beyond moving it and recording facts.
EFFECTS = {
    "take_ownership",
    "request_deletions",
    "confirm_deletions",
    "extend_deletions",
    "waive_deletions",
    "pause_deletions",
}
SLACK_OPTION_LIMIT = 75
# Roles a user field can be checked against: the academy's DSLs and deputies, or its Principal.
ROLES = {"safeguarding_team", "principal"}
ANSWERED = "*"  # in a check's condition: the other field is answered, whatever its value


@dataclass(frozen=True)
class Check:
    """A rule across fields of one decision, reported under `field` with `message`.

    `required_when`: the field must be answered when every condition holds. `role`: a user field
    must name someone holding that role at the case's academy, unless every `unless` condition holds.
    """

    field: str
    message: str
    required_when: tuple[tuple[str, str], ...] = ()
    role: str = ""
    unless: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Decision:
    """One thing a DSL records: its form, the trigger it fires and the facts it records."""

    key: str
    title: str
    trigger: str
    fields: tuple[Field, ...] = ()
    intro: str = ""
    facts: tuple[str, ...] = ()
    effect: str = ""
    then: str = ""
    then_facts: tuple[str, ...] = ()
    then_action: str = ""
    tell_reporter: str = ""
    reason_if_category_changed: str = ""
    distinct: tuple[tuple[str, str], ...] = ()
    checks: tuple[Check, ...] = ()
    contacts: tuple[str, ...] = ()

    @property
    def form(self) -> Step:
        """The decision as a step, for `questions.validate`."""
        return Step(self.key, self.title, self.intro, self.fields)


@dataclass(frozen=True)
class Deadlines:
    referral_follow_up_hours: int
    referral_follow_up_text: str
    deletion_text: str


@dataclass(frozen=True)
class Decisions:
    """Every decision in file order, and the wording of statuses, next steps and actions."""

    by_key: dict[str, Decision]
    reporter_status: dict[str, str]
    next_step: dict[str, str]
    deadlines: Deadlines
    actions: dict[str, str]
    # fact -> state -> wording, tried in file order before `next_step` (e.g. the agencies involved).
    next_step_if: dict[str, dict[str, str]]

    def next_for(self, state: str, facts: set[str]) -> str:
        """What is due next in this state, given the facts that hold."""
        for fact, by_state in self.next_step_if.items():
            if fact in facts and state in by_state:
                return by_state[state]
        return self.next_step[state]

    def get(self, key: str) -> Decision:
        """The decision with this key; NotFound for an unknown (forged) key."""
        try:
            return self.by_key[key]
        except KeyError:
            raise NotFound(f"decision {key}") from None

    def allowed_by(self, triggers: list[str]) -> list[Decision]:
        """Decisions whose trigger is among `triggers`, in file order."""
        return [d for d in self.by_key.values() if d.trigger in triggers]

    def action_label(self, action: str) -> str:
        """The chronology's words for an audit action."""
        if action in self.by_key:
            return self.by_key[action].title
        return self.actions.get(action, action.replace("_", " ").capitalize())


@cache
def load_decisions(path: Path = DECISIONS_FILE) -> Decisions:
    """Load and validate the decisions file; a malformed file raises ConfigError naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        decisions = _parse(data)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"decisions file {path}: {exc}") from exc
    problems = _problems(decisions)
    if problems:
        raise ConfigError(f"decisions file {path}: " + "; ".join(problems))
    return decisions


def _parse(data: dict[str, Any]) -> Decisions:
    entries = [_decision(raw) for raw in data["decisions"]]
    by_key = {d.key: d for d in entries}
    if len(by_key) != len(entries):
        raise ValueError("two decisions share a key")
    return Decisions(
        by_key=by_key,
        reporter_status=dict(data["reporter_status"]),
        next_step=dict(data["next_step"]),
        deadlines=Deadlines(**data["deadlines"]),
        actions=dict(data["actions"]),
        next_step_if={fact: dict(by_state) for fact, by_state in data.get("next_step_if", {}).items()},
    )


def _decision(raw: dict[str, Any]) -> Decision:
    return Decision(
        key=raw["key"],
        title=raw["title"],
        trigger=raw["trigger"],
        fields=tuple(Field(**f) for f in raw.get("fields", [])),
        intro=raw.get("intro", ""),
        facts=tuple(raw.get("facts", ())),
        effect=raw.get("effect", ""),
        then=raw.get("then", ""),
        then_facts=tuple(raw.get("then_facts", ())),
        then_action=raw.get("then_action", ""),
        tell_reporter=raw.get("tell_reporter", ""),
        reason_if_category_changed=raw.get("reason_if_category_changed", ""),
        distinct=tuple((a, b) for a, b in raw.get("distinct", ())),
        checks=tuple(_check(c) for c in raw.get("checks", ())),
        contacts=tuple(raw.get("contacts", ())),
    )


def _check(raw: dict[str, Any]) -> Check:
    return Check(
        field=raw["field"],
        message=raw["message"],
        required_when=tuple(raw.get("required_when", {}).items()),
        role=raw.get("role", ""),
        unless=tuple(raw.get("unless", {}).items()),
    )


def _problems(d: Decisions) -> list[str]:
    triggers = {row["trigger"] for row in lifecycle.TRANSITIONS}
    facts = set(lifecycle.CLOSE_REQUIREMENTS) - set(lifecycle.HISTORY_FACTS)
    problems: list[str] = []
    for decision in d.by_key.values():
        where = f"decision {decision.key}"
        problems += [
            f"{where}: unknown trigger {t}"
            for t in (decision.trigger, decision.then)
            if t and t not in triggers
        ]
        problems += [
            f"{where}: unknown fact {f}" for f in (*decision.facts, *decision.then_facts) if f not in facts
        ]
        if bool(decision.then) != bool(decision.then_action):
            problems.append(f"{where}: `then` and `then_action` go together")
        if decision.effect and decision.effect not in EFFECTS:
            problems.append(f"{where}: unknown effect {decision.effect}")
        problems += _field_problems(decision)
    recorded = {f for x in d.by_key.values() for f in (*x.facts, *x.then_facts)}
    problems += [
        f"no decision records the fact {f}: cases could never close" for f in sorted(facts - recorded)
    ]
    problems += [
        f"reporter_status: no wording for state {s}" for s in lifecycle.STATES if s not in d.reporter_status
    ]
    problems += [
        f"next_step: no wording for state {s}" for s in lifecycle.OPEN_STATES if s not in d.next_step
    ]
    for fact, by_state in d.next_step_if.items():
        if fact not in lifecycle.HISTORY_FACTS:
            problems.append(f"next_step_if: unknown fact {fact}")
        problems += [
            f"next_step_if.{fact}: unknown state {s}" for s in by_state if s not in lifecycle.OPEN_STATES
        ]
    return problems


def _field_problems(decision: Decision) -> list[str]:
    where = f"decision {decision.key}"
    keys = {f.key for f in decision.fields}
    problems = [
        f"{where}: field {f.key} has unknown type {f.type}"
        for f in decision.fields
        if f.type not in FIELD_TYPES
    ]
    problems += [
        f"{where}: field {f.key} has unknown default {f.default}"
        for f in decision.fields
        if f.default and f.default not in DEFAULTS
    ]
    for f in decision.fields:
        if f.type in ("choice", "multi") and not f.options and f.key not in CASE_CHOICES:
            problems.append(f"{where}: field {f.key} has no options")
        problems += [
            f"{where}: option {k} of {f.key} is longer than {SLACK_OPTION_LIMIT} characters"
            for k, label in f.options.items()
            if len(label) > SLACK_OPTION_LIMIT
        ]
    named = [decision.reason_if_category_changed, *(k for pair in decision.distinct for k in pair)]
    for check in decision.checks:
        named += [check.field, *(k for k, _ in (*check.required_when, *check.unless))]
        if check.role and check.role not in ROLES:
            problems.append(f"{where}: check on {check.field} has unknown role {check.role}")
        if bool(check.role) == bool(check.required_when):
            problems.append(f"{where}: check on {check.field} needs either `role` or `required_when`")
    problems += [f"{where}: names unknown field {k}" for k in named if k and k not in keys]
    return problems
