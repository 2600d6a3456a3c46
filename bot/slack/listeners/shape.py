"""A global middleware: a payload not shaped as Slack sends it is answered 400 before any listener.

Listeners index payloads directly (`body["user"]["id"]`, `view["private_metadata"]`). A signed
but malformed payload would otherwise fail inside a listener: a 500 before the ack, or, just
after it, bolt's race that waits 3 s and answers 404. Checking the few parts listeners read,
once, here, keeps every listener simple. Found by tests/test_hostile_input.py.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import BoltResponse

Path = tuple[str, ...]
VIEW: tuple[Path, ...] = (("user", "id"), ("view", "callback_id"))
SHORTCUT: tuple[Path, ...] = (("user", "id"), ("team", "id"), ("trigger_id",), ("callback_id",))
# The string each kind of payload must carry, as a path of keys.
REQUIRED: dict[str, tuple[Path, ...]] = {
    "block_actions": (("user", "id"), ("trigger_id",)),
    "view_submission": VIEW,
    "view_closed": VIEW,
    "shortcut": SHORTCUT,
    "message_action": SHORTCUT,  # bolt's shortcut listeners match message shortcuts too
    "command": (("user_id",), ("team_id",)),
    "event_callback": (("event", "type"),),
}
# Element values a view's state may carry, and the types Slack sends them as.
ELEMENT_VALUES = {
    "value": (str,),
    "selected_date": (str,),
    "selected_user": (str,),
    "selected_date_time": (int, str),
}
OPTIONAL_STRINGS: tuple[Path, ...] = (("team", "id"), ("event_id",), ("trigger_id",), ("text",))


def well_formed(body: dict[str, Any], next) -> BoltResponse | None:  # type: ignore[no-untyped-def]
    """Pass a payload on to the listeners, or answer 400 when a part they read is missing or mistyped."""
    if not _shaped(body):
        return BoltResponse(status=400, body="")
    next()
    return None


def _shaped(body: dict[str, Any]) -> bool:
    if not _encodable(body):
        return False
    kind = "command" if "command" in body else body.get("type")
    if not all(isinstance(_at(body, path), str) for path in REQUIRED.get(str(kind), ())):
        return False
    if not all(_at(body, path) is None or isinstance(_at(body, path), str) for path in OPTIONAL_STRINGS):
        return False
    if kind == "block_actions" and not _actions_shaped(body):
        return False
    view = body.get("view")
    if "view" in body and not (isinstance(view, dict) and _view_shaped(view)):
        return False
    return not ("team" in body and not isinstance(body["team"], dict))


def _actions_shaped(body: dict[str, Any]) -> bool:
    actions = body.get("actions")
    return (
        isinstance(actions, list)
        and bool(actions)
        and all(
            isinstance(a, dict)
            and isinstance(a.get("action_id"), str)
            and isinstance(a.get("value", ""), str)
            for a in actions
        )
    )


def _view_shaped(view: dict[str, Any]) -> bool:
    if not all(isinstance(view.get(k, ""), str) for k in ("id", "callback_id", "private_metadata")):
        return False
    state = view.get("state", {})
    values = state.get("values", {}) if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return False
    blocks = list(values.values())
    return all(isinstance(b, dict) and all(_element_shaped(e) for e in b.values()) for b in blocks)


def _element_shaped(element: Any) -> bool:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return False
    for key, types in ELEMENT_VALUES.items():
        if element.get(key) is not None and not isinstance(element[key], types):
            return False
    selected = element.get("selected_options") or []
    if not isinstance(selected, list):
        return False
    options = [element.get("selected_option"), *selected]
    return all(o is None or (isinstance(o, dict) and isinstance(o.get("value"), str)) for o in options)


def _encodable(body: dict[str, Any]) -> bool:
    # JSON may carry an unpaired UTF-16 surrogate ("\ud800"): Slack never sends one, and no
    # database (nor the cipher) can store it, so it would fail deep inside a listener.
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _at(body: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
