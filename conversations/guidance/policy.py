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
    hint: str = ""  # shown under the question (Slack's input hint)
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
    none: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def applies(self, facts: set[str], category: str) -> bool:
        """Whether this rule holds for the derived facts and the suggested category."""
        return _holds_facts(facts, self.all, self.any, self.none) and (
            not self.categories or category in self.categories
        )


@dataclass(frozen=True)
class Group:
    """A group of categories (experimental, aggravated, not yet known) and when it is ruled out."""

    key: str
    label: str
    source: Source
    not_with_level: str = ""
    not_with: tuple[str, ...] = ()

    def ruled_out(self, facts: set[str], levels: set[str]) -> bool:
        """Whether a fired trigger level or a fact rules this group out."""
        return self.not_with_level in levels or bool(facts & set(self.not_with))


@dataclass(frozen=True)
class Derived:
    """A fact that holds from other facts (`all`, `any`, `none`), e.g. pre-adolescent without motive."""

    key: str
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()


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
    ruled_out: tuple[Group, ...] = ()  # groups the facts rule out (experimental, when a point fired)

    @property
    def immediate_referral(self) -> bool:
        return any(t.level == "immediate" for t in self.triggers)

    @property
    def urgent(self) -> bool:
        """Urgent means the DSL must act now: any point of immediate referral fired."""
        return self.immediate_referral

    @property
    def level(self) -> str:
        """The strongest referral level that fired ("immediate", "discuss", "consider"), or ""."""
        return next((lv for lv in LEVELS if any(t.level == lv for t in self.triggers)), "")

    @property
    def under_13(self) -> bool:
        return "under_13" in self.facts

    @property
    def referral_points(self) -> tuple[Rule, ...]:
        """The points of immediate referral that fired (the DSL decides whether to refer now)."""
        return tuple(t for t in self.triggers if t.level == "immediate")

    @property
    def points_to_consider(self) -> tuple[Rule, ...]:
        """Other triggers that do not speak of the typology: what the reporter may be shown."""
        return tuple(t for t in self.triggers if t.level != "immediate" and not t.categories)


@dataclass(frozen=True)
class Guidance:
    steps: dict[str, Step]
    facts: dict[str, tuple[str, ...]]
    derived: tuple[Derived, ...]
    groups: dict[str, Group]
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

    def group(self, key: str) -> Group:
        """The group of categories with this key."""
        return self.groups[key]

    def classify(self, answers: dict[str, dict[str, Any]]) -> Suggestion:
        """Suggest a category and the triggers that fire for a report's answers (complete or not).

        The points of immediate referral are found first, from the facts alone: when one fires,
        a group ruled out by that level (experimental) is never suggested.
        """
        facts = {name for name, conds in self.facts.items() if any(_holds(answers, c) for c in conds)}
        for d in self.derived:
            if _holds_facts(facts, d.all, d.any, d.none):
                facts.add(d.key)
        levels = {t.level for t in self.triggers if not t.categories and t.applies(facts, "")}
        ruled_out = tuple(g for g in self.groups.values() if g.ruled_out(facts, levels))
        category = next(
            c for c in self.categories if c.applies(facts, "") and self.groups[c.group] not in ruled_out
        )
        triggers = tuple(t for t in self.triggers if t.applies(facts, category.key))
        return Suggestion(category, triggers, frozenset(facts), ruled_out)


def _holds_facts(
    facts: set[str], all_: tuple[str, ...], any_: tuple[str, ...], none: tuple[str, ...]
) -> bool:
    return set(all_) <= facts and (not any_ or bool(facts & set(any_))) and not facts & set(none)


OPERATORS = (">=", "<", "=")  # tried in this order: ">=" contains "="


def _holds(answers: dict[str, dict[str, Any]], condition: str) -> bool:
    op = next(o for o in OPERATORS if o in condition)
    path, expected = condition.split(op, 1)
    step, key = path.split(".", 1)
    value = answers.get(step, {}).get(key)
    if op in ("<", ">="):
        numbers = [v for v in value if isinstance(v, int)] if isinstance(value, list) else []
        return any(v < int(expected) if op == "<" else v >= int(expected) for v in numbers)
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
            none=tuple(c.get("none", ())),
        )
        for c in data["categories"]
    )
    groups = {
        key: Group(
            key=key,
            label=g["label"],
            source=Source(g["source"], g["sentence"]),
            not_with_level=g.get("not_with_level", ""),
            not_with=tuple(g.get("not_with", ())),
        )
        for key, g in data["groups"].items()
    }
    derived = tuple(
        Derived(key, tuple(d.get("all", ())), tuple(d.get("any", ())), tuple(d.get("none", ())))
        for key, d in data.get("derived", {}).items()
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
    return Guidance(steps, facts, derived, groups, categories, triggers, contacts, dict(data["sources"]))


def _check(g: Guidance) -> None:
    problems = []
    for step in g.steps.values():
        problems += [
            f"step {step.key}: field {f.key} has unknown type {f.type}"
            for f in step.fields
            if f.type not in FIELD_TYPES
        ]
    known = set(g.facts)
    for d in g.derived:
        problems += [
            f"derived {d.key}: unknown fact {f}" for f in (*d.all, *d.any, *d.none) if f not in known
        ]
        known.add(d.key)
    for group in g.groups.values():
        problems += [f"group {group.key}: unknown fact {f}" for f in group.not_with if f not in known]
        if group.not_with_level and group.not_with_level not in LEVELS:
            problems.append(f"group {group.key}: not_with_level must be one of {LEVELS}")
        if group.source.source not in g.sources:
            problems.append(f"group {group.key}: unknown source {group.source.source}")
    problems += [
        f"category {c.key}: unknown group {c.group}" for c in g.categories if c.group not in g.groups
    ]
    # A trigger tied to categories cannot rule a group out: the category depends on it.
    problems += [
        f"trigger {t.key}: a level that rules out a group cannot depend on categories"
        for t in g.triggers
        if t.categories and any(t.level == gr.not_with_level for gr in g.groups.values())
    ]
    for rule in (*g.categories, *g.triggers):
        problems += [
            f"{rule.key}: unknown fact {f}" for f in (*rule.all, *rule.any, *rule.none) if f not in known
        ]
        problems += [
            f"{rule.key}: unknown source {s.source}" for s in rule.sources if s.source not in g.sources
        ]
    problems += [
        f"trigger {t.key}: level must be one of {LEVELS}" for t in g.triggers if t.level not in LEVELS
    ]
    fallback = g.categories[-1] if g.categories else None
    if fallback is None or fallback.all or fallback.any or fallback.none:
        problems.append("the last category must have no conditions (the fallback)")
    elif fallback.group in g.groups and (
        g.groups[fallback.group].not_with_level or g.groups[fallback.group].not_with
    ):
        problems.append("the last category's group must never be ruled out (the fallback)")
    if problems:
        raise ConfigError("guidance file: " + "; ".join(problems))
