"""The key a Slack interaction is known by, so that a replay of it changes nothing.

A modal submission is named by the view's id and hash (Slack gives an updated view a new hash,
so the next step, or the same form opened again, is a new submission); a button press by the
action's timestamp, action id and the user. A request replayed as it was (the same body, signed
again) carries the same key; the services store it with the outcome (conversations/delivery/replays.py).
The parts are hashed: keys stay short whatever a payload holds, and carry nothing readable.
"""

from __future__ import annotations

import hashlib
from typing import Any


def interaction_key(body: dict[str, Any]) -> str | None:
    """The key of a view submission or button press; None when the payload lacks the parts."""
    user = body["user"]["id"]
    if body.get("type") == "view_submission":
        view = body["view"]
        return _key("view", view.get("id"), view.get("hash"), user)
    action = body["actions"][0]
    return _key("action", action.get("action_ts"), action.get("action_id"), user)


def _key(kind: str, *parts: Any) -> str | None:
    # Without every part a key would match presses that are not replays: better none.
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return f"{kind}:{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()}"
