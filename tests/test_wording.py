"""The wording every front end shares names no platform: a Teams user never reads Slack's words."""

from __future__ import annotations

import re

from bot import wording

PLATFORM_WORDS = re.compile(r"\b(slack|workspace|teams|/ypsi|slash)\b", re.IGNORECASE)


def _texts() -> dict[str, str]:
    texts = {n: v for n, v in vars(wording).items() if isinstance(v, str) and not n.startswith("__")}
    for table in ("CASE_ERROR_TEXT",):
        texts.update({f"{table}[{kind.__name__}]": text for kind, text in getattr(wording, table)})
    return texts


def test_shared_wording_names_no_platform():
    named = {name: text for name, text in _texts().items() if PLATFORM_WORDS.search(text)}
    assert not named, f"shared wording that names a platform: {named}"


def test_the_not_set_up_notice_is_one_text_on_both_front_ends():
    from bot.slack.views.text import ERROR_TEXT as SLACK
    from bot.teams.listeners.words import ERROR_TEXT as TEAMS

    config = [text for kind, text in (*SLACK, *TEAMS) if kind.__name__ == "ConfigError"]
    assert config == [wording.NOT_SET_UP, wording.NOT_SET_UP]
