"""The classifier on a table of incidents, each row citing the sentence of the policy it follows.

Columns: the incident (answers as a person enters them), the suggested group ("category":
experimental / aggravated / not_known), the type (the category key), the strongest referral
level that fires, whether the case is urgent, and the sentence the row follows. The cited
sentence must be one the suggestion itself carries (its category, its group or a trigger that
fired), so a row cannot cite words the bot does not show.
"""

from __future__ import annotations

from typing import Any

import pytest

from conversations.guidance.policy import load_guidance
from conversations.guidance.questions import validate
from tests.answers import CASE_A, CASE_B, CASE_C

GUIDANCE = load_guidance()

# The sentences the rows cite, as guidance.toml carries them (SUAT 2019 quoted, UKCIS 2024 paraphrased).
ROMANTIC = (
    "Young people in ongoing relationships make images for themselves or each other, and the images "
    "are not intended to be distributed beyond the pair."
)
ATTENTION = (
    "Cases in which images are made and sent between or amongst young people who were not known to be "
    "romantic partners, or where one young person takes pictures and sends them to others or posts them "
    "online, presumably to draw sexual attention."
)
OTHER = (
    "These involve either young people who take pictures of themselves for themselves (no evidence of "
    "any sending or sharing or intent to do so) or pre-adolescent children who did not appear to have "
    "sexual motives."
)
ADULT = (
    "An adult (aged 18 or over) has developed an exploitive relationship with and/or coerced a child "
    "(17 or under) to share indecent images thus committing criminal offences."
)
INTENT = (
    "Sexual or indecent images which were created by young people (aged 13-17) as part of a consensual "
    "age appropriate relationship, which have then been shared with the intent to cause harm or distress."
)
RECKLESS = (
    "Images are taken, sent or shared by young people without the knowledge or willing participation "
    "of the young person who is pictured."
)
AGGRAVATED_DISCUSS = (
    "Aggravated cases should be discussed with specialist children's services and/or the police."
)
EXPERIMENTAL = (
    "These incidents involve children or young people creating and sharing sexual images without "
    "additional concerns regarding criminal behaviour (beyond the creation or sending of images), "
    "without apparent malice towards others and involves the willing participation of those young "
    "people who were pictured."
)
ASSESS = (
    "Decisions on the appropriate approach should be underpinned by careful assessment of the facts of "
    "the case: the presence of any aggravating features; the backgrounds of the children involved; and "
    "the views of significant stakeholders (such as parents/carers and the children's teachers)."
)
AT_ANY_POINT = (
    "At any point in the process if there is a concern a young person has been harmed or is at risk of "
    "harm a referral should be made to children's social care and/or the police immediately."
)
UKCIS_ADULT = "An adult is involved."
UKCIS_COERCION_CAPACITY = (
    "There is coercion, blackmail or grooming, or concern about capacity to consent (for example because "
    "of special educational needs)."
)
UKCIS_SEXTORTION = (
    "Treat sextortion as an adult involved and coercion case: immediate referral, do not pay, do not "
    "delete evidence of the threats before the police decide, stop contact."
)
UKCIS_UNUSUAL = "The imagery shows acts that are unusual for the young person's development, or violent."
UKCIS_UNDER_13 = "It involves sexual acts and any young person in it is under 13."
UNDER_13_OR_VULNERABLE = (
    "If children or young people engaging in experimental incidents are under the age of 13 years, or are "
    "considered to be vulnerable then existing Safeguarding Children Board procedures should be considered."
)
CJCA = (
    "For young people aged 18+ professionals may need to be aware of the Criminal Justice and Courts Act "
    "2015 which states that sexually explicit images or videos of adults sent without consent "
    "electronically, with the intent to cause distress, is illegal."
)
UKCIS_AI = (
    "Scope includes AI-generated or digitally altered imagery of under-18s: creating or sharing it is "
    "also illegal."
)
SPREAD = (
    "Has the imagery been shared on social media or anywhere else online? If so, what steps have been "
    "taken to contain the spread of the imagery?"
)


def incident(
    base: dict[str, dict[str, Any]] | None = None, **steps: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Raw answers: `base` (default case study A) with each named step's fields replaced."""
    raw = {step: dict(values) for step, values in (CASE_A if base is None else base).items()}
    for step, values in steps.items():
        raw[step] = {**raw.get(step, {}), **values}
    return raw


def concerns(*ticked: str) -> dict[str, list[str]]:
    return {"concerns": list(ticked)}


def people(bands: list[str], ages: str = "") -> dict[str, Any]:
    return {"count": "2", "age_bands": bands, "ages": ages}


PRE_ADOLESCENT_JOKE = {
    "young_people": people(["under_13"], "11, 11"),
    "sharing": {"relationship": "not_relationship", "motive": "joke", "shared": "group"},
}
MID_DIALOGUE = {"safety": {"understood": "yes"}, "risk": {"immediate_risk": "yes"}}


class Stored(dict):
    """Answers as a draft stored them before this version (already validated then): used as they are."""


# Stored before the motive question, the 18+ band and the capacity and AI-by-others ticks existed.
OLD_DRAFT = Stored(
    {
        "safety": {"understood": "yes"},
        "risk": {"immediate_risk": "no"},
        "young_people": {"count": 2, "age_bands": ["13_15"], "ages": [15, 19], "identifiers": "AB"},
        "sharing": {
            "came_to_light": "peer",
            "relationship": "relationship",
            "shared": "one_person",
            "still_spreading": "no",
        },
        "concerns": {"concerns": ["ai_generated"]},
        "device": {"device": "with_pupil"},
        "account": {"account": "A friend told the form tutor."},
    }
)

# (id, raw answers, group, type, level, urgent, the sentence followed)
ROWS = [
    # The policy's case studies.
    (
        "case A: two 15s, one photo in a relationship",
        incident(),
        "experimental",
        "romantic",
        "",
        False,
        ROMANTIC,
    ),
    (
        "case B: an 11-year-old's dare on a school tablet",
        incident(CASE_B, sharing={"motive": "joke"}),
        "experimental",
        "other",
        "consider",
        False,
        OTHER,
    ),
    (
        "case B as stored before the motive question",
        incident(CASE_B),
        "experimental",
        "other",
        "consider",
        False,
        UNDER_13_OR_VULNERABLE,
    ),
    (
        "case C as reported: forwarded because he ended it",
        incident(CASE_C),
        "aggravated",
        "intent_to_harm",
        "discuss",
        False,
        INTENT,
    ),
    (
        "case C as the LA read it: shared without his knowledge",
        incident(CASE_C, concerns=concerns("without_knowledge")),
        "aggravated",
        "reckless_misuse",
        "discuss",
        False,
        RECKLESS,
    ),
    # Each point of immediate referral alone.
    (
        "urgent card mid-dialogue: immediate risk, nothing else yet",
        MID_DIALOGUE,
        "not_known",
        "not_known",
        "immediate",
        True,
        AT_ANY_POINT,
    ),
    (
        "immediate risk on case A's facts",
        incident(risk={"immediate_risk": "yes"}),
        "not_known",
        "not_known",
        "immediate",
        True,
        ASSESS,
    ),
    (
        "adult involved (ticked)",
        incident(concerns=concerns("adult_involved")),
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        UKCIS_ADULT,
    ),
    (
        "coercion by a peer",
        incident(concerns=concerns("coercion")),
        "aggravated",
        "intent_to_harm",
        "immediate",
        True,
        UKCIS_COERCION_CAPACITY,
    ),
    (
        "sextortion",
        incident(concerns=concerns("sextortion")),
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        UKCIS_SEXTORTION,
    ),
    (
        "capacity to consent (SEND)",
        incident(concerns=concerns("capacity")),
        "not_known",
        "not_known",
        "immediate",
        True,
        UKCIS_COERCION_CAPACITY,
    ),
    (
        "unusual or violent acts",
        incident(concerns=concerns("extreme_acts")),
        "not_known",
        "not_known",
        "immediate",
        True,
        UKCIS_UNUSUAL,
    ),
    (
        "sexual acts, a 12-year-old",
        incident(young_people=people(["under_13"], "12, 12"), concerns=concerns("sexual_acts")),
        "not_known",
        "not_known",
        "immediate",
        True,
        UKCIS_UNDER_13,
    ),
    # Combinations.
    (
        "unusual acts shared to hurt",
        incident(concerns=concerns("extreme_acts", "intent_to_harm")),
        "aggravated",
        "intent_to_harm",
        "immediate",
        True,
        UKCIS_UNUSUAL,
    ),
    (
        "capacity concern and shared without knowledge",
        incident(concerns=concerns("capacity", "without_knowledge")),
        "aggravated",
        "reckless_misuse",
        "immediate",
        True,
        RECKLESS,
    ),
    (
        "sexual acts under 13 and an adult involved",
        incident(young_people=people(["under_13"]), concerns=concerns("sexual_acts", "adult_involved")),
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        UKCIS_UNDER_13,
    ),
    (
        "SEND without a capacity concern stays 'consider'",
        incident(concerns=concerns("vulnerability")),
        "experimental",
        "romantic",
        "consider",
        False,
        UNDER_13_OR_VULNERABLE,
    ),
    (
        "SEND with a capacity concern",
        incident(concerns=concerns("vulnerability", "capacity")),
        "not_known",
        "not_known",
        "immediate",
        True,
        EXPERIMENTAL,
    ),
    (
        "sexual acts at 15 alone: no point of referral",
        incident(concerns=concerns("sexual_acts")),
        "experimental",
        "romantic",
        "",
        False,
        ROMANTIC,
    ),
    (
        "still being shared in a group",
        incident(sharing={"relationship": "not_relationship", "shared": "group", "still_spreading": "yes"}),
        "experimental",
        "attention_seeking",
        "consider",
        False,
        SPREAD,
    ),
    # AI-generated or altered imagery.
    (
        "AI imagery of a pupil made by others",
        incident(concerns=concerns("ai_by_others")),
        "aggravated",
        "reckless_misuse",
        "discuss",
        False,
        RECKLESS,
    ),
    (
        "AI imagery by others, made to hurt",
        incident(concerns=concerns("ai_by_others", "intent_to_harm")),
        "aggravated",
        "intent_to_harm",
        "discuss",
        False,
        UKCIS_AI,
    ),
    (
        "AI imagery, maker not known",
        incident(concerns=concerns("ai_generated")),
        "not_known",
        "not_known",
        "consider",
        False,
        EXPERIMENTAL,
    ),
    # Pre-adolescent children.
    (
        "11-year-olds share as a joke",
        incident(**PRE_ADOLESCENT_JOKE),
        "experimental",
        "other",
        "consider",
        False,
        OTHER,
    ),
    (
        "11-year-old flirting",
        incident(
            **{
                **PRE_ADOLESCENT_JOKE,
                "sharing": {"relationship": "not_relationship", "motive": "sexual", "shared": "one_person"},
            }
        ),
        "experimental",
        "attention_seeking",
        "consider",
        False,
        ATTENTION,
    ),
    (
        "a 12 and a 14-year-old as a joke: not all pre-adolescent",
        incident(**{**PRE_ADOLESCENT_JOKE, "young_people": people(["under_13", "13_15"], "12, 14")}),
        "experimental",
        "attention_seeking",
        "consider",
        False,
        ATTENTION,
    ),
    (
        "the motive given as to hurt",
        incident(sharing={"motive": "harm"}),
        "aggravated",
        "intent_to_harm",
        "discuss",
        False,
        AGGRAVATED_DISCUSS,
    ),
    # Unknowns.
    (
        "nothing known about sharing or relationship",
        incident(sharing={"relationship": "unknown", "shared": "unknown", "still_spreading": "unknown"}),
        "not_known",
        "not_known",
        "",
        False,
        ASSESS,
    ),
    (
        "ages not known, sent to one non-partner",
        incident(young_people=people(["unknown"]), sharing={"relationship": "unknown"}),
        "experimental",
        "attention_seeking",
        "",
        False,
        ATTENTION,
    ),
    # Ages at each band edge.
    (
        "ages 12 and 13 typed, band 13-15 ticked",
        incident(young_people=people(["13_15"], "12, 13")),
        "experimental",
        "romantic",
        "consider",
        False,
        UNDER_13_OR_VULNERABLE,
    ),
    (
        "ages 13 and 13",
        incident(young_people=people(["13_15"], "13, 13")),
        "experimental",
        "romantic",
        "",
        False,
        ROMANTIC,
    ),
    (
        "ages 17 and 17",
        incident(young_people=people(["16_17"], "17, 17")),
        "experimental",
        "romantic",
        "",
        False,
        ROMANTIC,
    ),
    (
        "ages 17 and 18 typed",
        incident(young_people=people(["16_17"], "17, 18")),
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        ADULT,
    ),
    (
        "band 18 or over chosen",
        incident(young_people=people(["16_17", "18_over"])),
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        CJCA,
    ),
    (
        "ages 15 and 19 typed",
        incident(young_people=people(["13_15"], "15, 19")),
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        UKCIS_ADULT,
    ),
    (
        "an old draft: 15 and 19, AI imagery, no motive",
        OLD_DRAFT,
        "aggravated",
        "adult_involved",
        "immediate",
        True,
        UKCIS_AI,
    ),
]


def _clean(raw: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Answers as the dialogue stores them: each step validated as the person entered it."""
    if isinstance(raw, Stored):
        return dict(raw)
    choices = {"academy": {"oakfield": "Oakfield"}}
    return {step: validate(GUIDANCE.steps[step], values, choices) for step, values in raw.items()}


def _sentences(suggestion) -> set[str]:
    groups = (GUIDANCE.group(suggestion.category.group), *suggestion.ruled_out)
    rules = (suggestion.category, *suggestion.triggers)
    return {g.source.sentence for g in groups} | {s.sentence for rule in rules for s in rule.sources}


@pytest.mark.parametrize(
    ("answers", "group", "kind", "level", "urgent", "sentence"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_incident(answers, group, kind, level, urgent, sentence):
    suggestion = GUIDANCE.classify(_clean(answers))
    assert (suggestion.category.group, suggestion.category.key) == (group, kind)
    assert suggestion.level == level
    assert suggestion.urgent is urgent
    assert sentence in _sentences(suggestion), "the row cites a sentence the suggestion does not carry"


def test_the_table_covers_what_the_policy_asks():
    assert len(ROWS) >= 25
    immediate = {t.key for t in GUIDANCE.triggers if t.level == "immediate"}
    fired = {t.key for row in ROWS for t in GUIDANCE.classify(_clean(row[1])).triggers}
    assert immediate <= fired, "every point of immediate referral has a row"
    assert {c.key for c in GUIDANCE.categories} <= {row[3] for row in ROWS}


def test_an_immediate_point_never_leaves_experimental_as_the_headline():
    for _, answers, *_ in ROWS:
        suggestion = GUIDANCE.classify(_clean(answers))
        if suggestion.immediate_referral:
            assert suggestion.category.group != "experimental"
            assert not suggestion.category.label.startswith("Experimental")


def test_the_final_immediate_points():
    """The points of immediate referral (read as data by the case lifecycle, by `level`)."""
    assert [t.key for t in GUIDANCE.triggers if t.level == "immediate"] == [
        "risk_of_harm",
        "adult_involved",
        "coercion",
        "capacity_to_consent",
        "sextortion",
        "extreme_acts",
        "under_13_sexual_acts",
    ]
