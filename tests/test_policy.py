"""The classifier on the policy's three case studies and one case per referral trigger."""

from __future__ import annotations

import pytest

from conversations.guidance.policy import load_guidance
from conversations.guidance.questions import validate
from tests.answers import CASE_A, CASE_B, CASE_C

GUIDANCE = load_guidance()


def _clean(raw):
    out = {}
    for step, values in raw.items():
        choices = {"academy": {"oakfield": "Oakfield"}}
        out[step] = validate(GUIDANCE.steps[step], values, choices)
    return out


def test_case_study_a_romantic_handled_in_school():
    s = GUIDANCE.classify(_clean(CASE_A))
    assert s.category.key == "romantic" and s.category.group == "experimental"
    assert s.triggers == () and not s.immediate_referral and not s.under_13


def test_case_study_b_under_13_flagged_consult_not_immediate():
    s = GUIDANCE.classify(_clean(CASE_B))
    assert s.category.key == "other"
    assert s.under_13
    assert [t.key for t in s.triggers] == ["under_13_or_vulnerable"]
    assert "under the age of 13" in s.triggers[0].sources[0].sentence
    assert not s.immediate_referral


def test_case_study_c_aggravated_discuss_with_agencies():
    s = GUIDANCE.classify(_clean(CASE_C))
    assert s.category.group == "aggravated" and s.category.key == "intent_to_harm"
    assert [t.key for t in s.triggers] == ["aggravated"]
    assert s.triggers[0].sources[0].sentence.startswith("Aggravated cases should be discussed")


def _with(**changes):
    raw = {step: dict(values) for step, values in CASE_A.items()}
    for path, value in changes.items():
        step, key = path.split("__")
        raw[step][key] = value
    return GUIDANCE.classify(_clean(raw))


@pytest.mark.parametrize(
    ("changes", "trigger", "immediate"),
    [
        ({"risk__immediate_risk": "yes"}, "risk_of_harm", True),
        ({"concerns__concerns": ["adult_involved"]}, "adult_involved", True),
        ({"concerns__concerns": ["coercion"]}, "coercion", True),
        ({"concerns__concerns": ["sextortion"]}, "sextortion", True),
        ({"concerns__concerns": ["extreme_acts"]}, "extreme_acts", True),
        (
            {"concerns__concerns": ["sexual_acts"], "young_people__age_bands": ["under_13"]},
            "under_13_sexual_acts",
            True,
        ),
        ({"concerns__concerns": ["without_knowledge"]}, "aggravated", False),
        ({"concerns__concerns": ["vulnerability"]}, "under_13_or_vulnerable", False),
        ({"concerns__concerns": ["known_to_agencies"]}, "under_13_or_vulnerable", False),
        ({"concerns__concerns": ["ai_generated"]}, "ai_generated", False),
        ({"sharing__still_spreading": "yes"}, "spreading", False),
        ({"concerns__concerns": ["previous_incidents"]}, "previous_incidents", False),
    ],
)
def test_each_trigger_fires_with_its_sentence(changes, trigger, immediate):
    s = _with(**changes)
    fired = {t.key: t for t in s.triggers}
    assert trigger in fired
    assert all(src.sentence for src in fired[trigger].sources)
    assert s.immediate_referral is immediate


def test_sextortion_is_treated_as_adult_and_coercion():
    s = _with(concerns__concerns=["sextortion"])
    assert {"adult_involved", "coercion", "sextortion"} <= {t.key for t in s.triggers}
    assert s.category.key == "adult_involved"


def test_sexual_acts_alone_without_under_13_is_not_a_trigger():
    assert "under_13_sexual_acts" not in {t.key for t in _with(concerns__concerns=["sexual_acts"]).triggers}


def test_exact_age_under_13_flags_without_band():
    s = _with(young_people__ages="12, 14", young_people__age_bands=["13_15"])
    assert s.under_13


@pytest.mark.parametrize(
    ("step", "values", "field", "message"),
    [
        ("young_people", {"count": "0", "age_bands": ["13_15"]}, "count", "from 1 to 40"),
        ("young_people", {"count": "two", "age_bands": ["13_15"]}, "count", "whole number"),
        ("young_people", {"count": "2", "age_bands": []}, "age_bands", "answer this"),
        ("young_people", {"count": "2", "age_bands": ["x"]}, "age_bands", "only the options"),
        ("young_people", {"count": "2", "age_bands": ["13_15"], "ages": "15, 100"}, "ages", "from 4 to 99"),
        ("risk", {"immediate_risk": "maybe"}, "immediate_risk", "one of the options"),
        ("account", {"account": "x" * 3001}, "account", "under 3000"),
        ("account", {"account": "   "}, "account", "answer this"),
    ],
)
def test_validation_messages(step, values, field, message):
    from conversations.errors import InvalidAnswer

    with pytest.raises(InvalidAnswer) as raised:
        validate(GUIDANCE.steps[step], values, {})
    assert message in raised.value.errors[field]
