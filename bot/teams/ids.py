"""Teams' own ids: the keys of a button's data and the inputs' ids.

The callback and action ids are the shared ones (`bot.ids`), so one vocabulary names every screen
and button on both platforms. What Slack keeps in a view's `callback_id` and `private_metadata`, a Teams
dialog card keeps in each button's `data`: every `Action.Submit` in a dialog carries
`{"callback": <callback id>, "action": <action id>, "draft": <draft id>}` (or `"case":
<reference>` and `"decision": <key>` for the DSL's screens). Buttons on a message carry
`{"action": <action id>, "value": <what Slack's button value holds>}`; a button that opens a
dialog adds `{"msteams": {"type": "task/fetch"}}`, so Teams asks the bot for the dialog.

Inputs: the input id is the field key from `guidance.toml` (or `decisions.toml`), so validation
errors map onto them directly; a date-and-time field is two inputs, the date under the key and
the time under `time_input(key)` (`bot.teams.cards.inputs` reads them back).
"""

from __future__ import annotations

from enum import StrEnum

from bot.ids import STEP_SEPARATOR


class DataKey(StrEnum):
    """Keys of an `Action.Submit`'s data besides the inputs."""

    ACTION = "action"
    CALLBACK = "callback"
    DRAFT = "draft"
    CASE = "case"
    DECISION = "decision"
    VALUE = "value"
    REMINDER = "reminder"


TIME_SUFFIX = STEP_SEPARATOR + "time"


def time_input(key: str) -> str:
    """The id of the time half of a date-and-time field (the date half's id is `key`)."""
    return f"{key}{TIME_SUFFIX}"
