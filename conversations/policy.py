"""The policy as data: loads `guidance.toml`, validates it, and classifies a report's answers.

It suggests; the DSL decides. Every category and trigger carries the sentence it comes from.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from conversations.errors import ConfigError

GUIDANCE_FILE = Path(__file__).with_name("guidance.toml")
FIELD_TYPES = {"choice", "multi", "int", "ages", "text", "date", "datetime", "user", "names"}
LEVELS = ("immediate", "discuss", "consider")


@dataclass(frozen=True)
class Field:
    key: str
    type: str
    label: str
    options: dict[str, str] = field(default_factory=dict)
    optional: bool = False
    sensitive: bool = False
    multiline: bool = False
    min: int | None = None
    max: int | None = None
    max_length: int = 500
    default: str = ""  # symbolic (e.g. "me", "now"): resolved by the service that asks the field


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    intro: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Source:
    source: str
    sentence: str


@dataclass(frozen=True)
class Rule:
    """A category or a trigger: when it applies, and the policy words behind it."""

    key: str
    label: str
    sources: tuple[Source, ...]
    group: str = ""
    level: str = ""
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def applies(self, facts: set[str], category: str) -> bool:
        """Whether this rule holds for the derived facts and the suggested category."""
        return (
            set(self.all) <= facts
            and (not self.any or bool(facts & set(self.any)))
            and (not self.categories or category in self.categories)
        )


@dataclass(frozen=True)
class Contact:
    key: str
    name: str
    audience: tuple[str, ...]
    phone: str = ""
    url: str = ""
    hours: str = ""
    email: str = ""


@dataclass(frozen=True)
class Suggestion:
    """What the classifier suggests for a report: a category and the triggers that fire."""

    category: Rule
    triggers: tuple[Rule, ...]
    facts: frozenset[str]

    @property
    def immediate_referral(self) -> bool:
        return any(t.level == "immediate" for t in self.triggers)

    @property
    def under_13(self) -> bool:
        return "under_13" in self.facts


@dataclass(frozen=True)
class Guidance:
    steps: dict[str, Step]
    facts: dict[str, tuple[str, ...]]
    categories: tuple[Rule, ...]
    triggers: tuple[Rule, ...]
    contacts: tuple[Contact, ...]
    sources: dict[str, str]

    def category(self, key: str) -> Rule:
        """The category with this key."""
        return next(c for c in self.categories if c.key == key)

    def contacts_for(self, audience: str) -> list[Contact]:
        """Contacts shown to one audience (`for` in the guidance file), in file order."""
        return [c for c in self.contacts if audience in c.audience]

    def classify(self, answers: dict[str, dict[str, Any]]) -> Suggestion:
        """Suggest a category and the triggers that fire for a report's answers."""
        facts = {name for name, conds in self.facts.items() if any(_holds(answers, c) for c in conds)}
        category = next(c for c in self.categories if c.applies(facts, ""))
        triggers = tuple(t for t in self.triggers if t.applies(facts, category.key))
        return Suggestion(category, triggers, frozenset(facts))


def _holds(answers: dict[str, dict[str, Any]], condition: str) -> bool:
    op = "<" if "<" in condition else "="
    path, expected = condition.split(op, 1)
    step, key = path.split(".", 1)
    value = answers.get(step, {}).get(key)
    if op == "<":
        return isinstance(value, list) and any(int(v) < int(expected) for v in value)
    if isinstance(value, list):
        return expected in value
    return value == expected


@cache
def load_guidance(path: Path = GUIDANCE_FILE) -> Guidance:
    """Load and validate the guidance file; a malformed file raises ConfigError naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        guidance = _parse(data)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"guidance file {path}: {exc}") from exc
    _check(guidance)
    return guidance


def _parse(data: dict[str, Any]) -> Guidance:
    steps = {
        key: Step(
            key=key,
            title=raw["title"],
            intro=raw.get("intro", ""),
            fields=tuple(Field(**f) for f in raw.get("fields", [])),
        )
        for key, raw in data["steps"].items()
    }
    categories = tuple(
        Rule(
            key=c["key"],
            label=c["label"],
            group=c["group"],
            sources=(Source(c["source"], c["sentence"]),),
            all=tuple(c.get("all", ())),
            any=tuple(c.get("any", ())),
        )
        for c in data["categories"]
    )
    triggers = tuple(
        Rule(
            key=t["key"],
            label=t["label"],
            level=t["level"],
            sources=tuple(Source(**s) for s in t["sources"]),
            all=tuple(t.get("all", ())),
            any=tuple(t.get("any", ())),
            categories=tuple(t.get("categories", ())),
        )
        for t in data["triggers"]
    )
    contacts = tuple(
        Contact(
            key=c["key"],
            name=c["name"],
            audience=tuple(c["for"]),
            phone=c.get("phone", ""),
            url=c.get("url", ""),
            hours=c.get("hours", ""),
            email=c.get("email", ""),
        )
        for c in data["contacts"]
    )
    facts = {k: tuple(v) for k, v in data["facts"].items()}
    return Guidance(steps, facts, categories, triggers, contacts, dict(data["sources"]))


def _check(g: Guidance) -> None:
    problems = []
    for step in g.steps.values():
        problems += [
            f"step {step.key}: field {f.key} has unknown type {f.type}"
            for f in step.fields
            if f.type not in FIELD_TYPES
        ]
    for rule in (*g.categories, *g.triggers):
        problems += [f"{rule.key}: unknown fact {f}" for f in (*rule.all, *rule.any) if f not in g.facts]
        problems += [
            f"{rule.key}: unknown source {s.source}" for s in rule.sources if s.source not in g.sources
        ]
    problems += [
        f"trigger {t.key}: level must be one of {LEVELS}" for t in g.triggers if t.level not in LEVELS
    ]
    if not g.categories or g.categories[-1].all or g.categories[-1].any:
        problems.append("the last category must have no conditions (the fallback)")
    if problems:
        raise ConfigError("guidance file: " + "; ".join(problems))
