"""Hostile input at every Slack entry point: a clear answer or a 4xx, never a 500, nothing stored.

Each test sends real signed requests over HTTP to the bolt app (the `slack` harness, fake Slack
Web API) and lets `tests.slack.hostile.Probe` judge every answer: no 5xx or dropped connection,
no ERROR log line but the error handler's one (never a traceback), no `files.*` call, no
unescaped `<!channel>` / `<!here>` / `<@U…>` / `<http…>` from typed text at the Slack API, and
no row stored that the input should not have caused. Entry points come from `bot.ids`, the
dialogue steps, `decisions.toml` and the app's registered listeners (see hostile.py), so new
listeners are attacked without editing this file. The last test prints how many inputs were tried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.ids import ActionId, CallbackId, step_callback
from bot.slack.ids import COMMAND
from conversations.storage.models import Reminder
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.slack.dialogue import ANSWERS as DIALOGUE_ANSWERS
from tests.slack.dialogue import walk_to_review
from tests.slack.fake_api import BOT_USER, dm_channel
from tests.slack.harness import SIGNING_SECRET, Response
from tests.slack.hostile import (
    ACTION_KINDS,
    ANSWERS,
    INJECTION,
    NASTY,
    OAK_DSL,
    RIV_DSL,
    RIVERSIDE_STAFF,
    STRANGER,
    TRIED,
    VIEW_KINDS,
    Probe,
    World,
    action_ids,
    anything,
    build_world,
    callback_ids,
    changes,
    drop_keys,
    fields_of,
    hostile_text,
    id_patterns,
    metadata,
    pings_in,
    registered,
    snapshot,
    state_values,
    user_object,
    wrong_type,
)

FORM = "application/x-www-form-urlencoded"
USERS = [TEACHER, OAK_DSL, RIV_DSL, RIVERSIDE_STAFF, STRANGER]


# `make fuzz` sets YPSI_FUZZ=wide: ten times the examples, freshly random. Otherwise the examples
# are derived from the test itself, so a failure in CI reproduces on every machine; a failure
# found by a wide run is kept as an explicit regression test below.
WIDE = os.environ.get("YPSI_FUZZ") == "wide"
SCALE = 10 if WIDE else 1


def fuzz_settings(examples: int) -> settings:
    """Bounded runs: the whole file stays well under a minute (ten times that with `make fuzz`)."""
    return settings(FUZZ, max_examples=examples * SCALE)


FUZZ = settings(
    max_examples=20 * SCALE,
    derandomize=not WIDE,
    # Problems are collected, not raised (Probe): nothing to shrink, and each example is one
    # more input against the same app.
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@pytest.fixture
def world(slack) -> World:
    return build_world(slack)


@pytest.fixture
def probe(world, caplog) -> Probe:
    caplog.set_level(logging.WARNING)
    return Probe(world, lambda: caplog.records)


def legit(world: World, user: Any, *texts: Any) -> bool:
    """The input is one its sender may really make: their own draft, or their own academy's case
    (the "other" draft and case are Riverside's: theirs for the Riverside staff and DSL).

    Only then may it store anything (a valid answer saved, a case acknowledged): every other
    combination (someone else's draft, another academy's case, a stranger) must store nothing.
    """
    seen = " ".join(json.dumps(t) if not isinstance(t, str) else t for t in texts)
    owners = {
        TEACHER: world.own_draft,
        OAK_DSL: world.own_case,
        RIVERSIDE_STAFF: world.other_draft,
        RIV_DSL: world.other_case,
    }
    return isinstance(user, str) and user in owners and owners[user] in seen


def interaction(world: World, payload: Any) -> Response:
    return world.slack.send(urlencode({"payload": json.dumps(payload)}), FORM)


def user_id(user: Any) -> Any:
    return user.get("id") if isinstance(user, dict) else None


# --- slash command ----------------------------------------------------------------------------


def command_form(user: Any, text: str) -> dict[str, Any]:
    return {
        "command": COMMAND,
        "text": text,
        "user_id": user,
        "team_id": TEAM,
        "channel_id": "C0STAFFROOM",
        "trigger_id": f"{time.monotonic_ns()}.trigger",
        "response_url": "https://hooks.slack.invalid/commands/1",
    }


def send_command(world: World, probe: Probe, form: dict[str, Any], label: str) -> None:
    text = str(form.get("text", ""))
    words = text.strip().split()
    starts_report = bool(words) and words[0].lower() == "report"

    def may_store(stored: dict[str, list], response: Response) -> bool:
        # `/ypsi report …` starts a draft for anyone the academies let report; nothing else stores.
        return starts_report and set(stored) <= {"drafts", "reminders"}

    probe.send(
        "command",
        label,
        lambda: world.slack.send(urlencode(form, errors="surrogatepass"), FORM),
        may_store=may_store,
    )


def test_slash_command_text(world, probe):
    refs = [world.own_case, world.other_case, "YPSI-2026-9999", "YPSI-", "ypsi-2026-0001", "YPSI-2026-0001x"]
    corpus = [*NASTY, "cases", "case", "status", "help", "report " + INJECTION]
    corpus += [f"case {ref}" for ref in refs] + [f"case {t}" for t in NASTY[:8]]
    for text in corpus:
        for user in USERS:
            send_command(world, probe, command_form(user, text), f"{user} /ypsi {text[:60]!r}")
    for missing in ("user_id", "team_id", "trigger_id", "text", "command", "channel_id"):
        for text in ("report", "status", f"case {world.own_case}", "cases"):
            form = drop_keys(command_form(OAK_DSL, text), [missing])
            send_command(world, probe, form, f"/ypsi {text} without {missing}")

    @fuzz_settings(60)
    @given(text=hostile_text(), user=st.sampled_from([*USERS, "", "<!channel>", "U" + "0" * 5000]))
    def fuzz(text: str, user: str) -> None:
        send_command(world, probe, command_form(user, text), f"{user[:20]} /ypsi {text[:60]!r}")

    fuzz()
    probe.assert_clean()


# --- view submissions and closes --------------------------------------------------------------


def view_payload(kind: str, callback_id: Any, meta: Any, values: Any, user: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "team": {"id": TEAM},
        "user": user,
        "api_app_id": "A0YPSIAPP0",
        "trigger_id": "1.hostile.trigger",
        "view": {
            "id": "V0HOSTILE0",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": meta,
            "state": {"values": values},
            "hash": "h1",
        },
    }


def mangle(payload: dict[str, Any], how: str, junk: Any) -> dict[str, Any]:
    """Break one part of a payload: drop or replace a top-level key or a key of its view."""
    if how == "intact":
        return payload
    where, _, key = how.partition(".")
    if where == "drop":
        return drop_keys(payload, [key])
    if where == "view" and isinstance(payload.get("view"), dict):
        return {**payload, "view": {**payload["view"], key: junk}}
    return {**payload, key: junk}


def is_opening(world: World, payload: Any) -> bool:
    """The opening step with exactly empty metadata, as sent (after any mangling): answering it
    starts a draft, and nothing else may. A mangled value that happens to be empty is the opening."""
    view = payload.get("view") if isinstance(payload, dict) else None
    if not isinstance(view, dict) or payload.get("type") != "view_submission":
        return False
    opening = step_callback(next(iter(world.ctx.guidance.steps)))
    return view.get("private_metadata", "") == "" and view.get("callback_id") == opening


MANGLES = [
    *["intact"] * 12,
    "drop.user",
    "drop.view",
    "drop.team",
    "set.view",
    "set.user",
    "view.callback_id",
    "view.private_metadata",
    "view.state",
    "drop.type",
]


def test_view_submissions_and_closes(world, probe):
    app = world.slack.app
    ids = callback_ids(world.ctx, app)
    patterns = id_patterns(app, VIEW_KINDS)
    assert any(i == step_callback("young_people") for i in ids) and CallbackId.REVIEW in ids

    def submit(data: st.DataObject, callback_id: str) -> None:
        kind = data.draw(st.sampled_from(["view_submission"] * 4 + ["view_closed"]))
        user = data.draw(user_object(USERS))
        meta = data.draw(metadata(world))
        keys = fields_of(world.ctx, callback_id)
        payload = view_payload(kind, callback_id, meta, data.draw(state_values(keys)), user)
        how = data.draw(st.sampled_from(MANGLES))
        payload = mangle(payload, how, data.draw(anything()))
        allowed = legit(world, user_id(user), meta) or is_opening(world, payload)
        label = f"{kind} {callback_id[:60]} {how} user={str(user)[:40]} meta={str(meta)[:60]}"
        probe.send("view", label, lambda: interaction(world, payload), may_store=lambda stored, r: allowed)

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        for callback_id in ids:
            submit(data, callback_id)
        for pattern in patterns:
            submit(data, data.draw(st.from_regex(pattern)))

    fuzz()
    # Someone else's draft, with a perfectly valid answer to its current step: refused, unchanged.
    other = view_payload(
        "view_submission",
        step_callback("safety"),
        world.other_draft,
        {"understood": {"understood": {"type": "radio_buttons", "selected_option": {"value": "yes"}}}},
        {"id": TEACHER, "team_id": TEAM},
    )
    answer = probe.send("view", "valid answer on someone else's draft", lambda: interaction(world, other))
    assert answer is not None and answer.status == 200
    probe.assert_clean()


# --- block actions ----------------------------------------------------------------------------


def test_block_actions(world, probe):
    app = world.slack.app
    ids = action_ids(app)
    patterns = id_patterns(app, ACTION_KINDS)
    with world.ctx.db.unit_of_work(read_only=True) as uow:
        # Reminders that are not Oakfield's: the Oakfield DSL clicking them must change nothing.
        others = [
            str(r.id)
            for r in uow.session.scalars(select(Reminder))
            if r.draft_id is not None or r.case_id != _case_id(world, world.own_case)
        ]
    values = st.one_of(metadata(world), st.sampled_from(others or ["1"]))

    def click(data: st.DataObject, action_id: str) -> None:
        user = data.draw(user_object(USERS))
        value = data.draw(values)
        meta = data.draw(metadata(world))
        callback = data.draw(st.sampled_from(callback_ids(world.ctx, app)))
        action: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value, "action_ts": "1"}
        dropped = data.draw(st.sampled_from([None] * 9 + ["value", "action_id", "type"]))
        action = drop_keys(action, [dropped])
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": user,
            "api_app_id": "A0YPSIAPP0",
            "trigger_id": "1.hostile.trigger",
            "actions": data.draw(st.sampled_from([[action]] * 16 + [[action, action], [], None, "x"])),
        }
        if data.draw(st.booleans()):
            payload["container"] = {"type": "view", "view_id": "V0HOSTILE0"}
            payload["view"] = data.draw(
                st.sampled_from(
                    [{"id": "V0HOSTILE0", "type": "modal", "callback_id": callback, "private_metadata": meta}]
                    * 12
                    + [{"callback_id": callback}, [callback], None]
                )
            )
        else:
            payload["container"] = {
                "type": "message",
                "channel_id": OAKFIELD.dsl_channel,
                "message_ts": "1.2",
            }
            payload["channel"] = {"id": data.draw(st.sampled_from([OAKFIELD.dsl_channel, "D0HOSTILE", ""]))}
            payload["message"] = data.draw(
                st.sampled_from(
                    [
                        {"ts": "1790000000.000001"},
                        {"ts": "1.2", "text": INJECTION, "blocks": [{"type": "section", "text": None}]},
                        {"ts": "1.2", "blocks": "x"},
                        None,
                    ]
                )
            )
        how = data.draw(st.sampled_from(["intact"] * 8 + ["drop.user", "drop.team", "set.user"]))
        payload = mangle(payload, how, data.draw(anything()))
        allowed = legit(world, user_id(user), value, meta)
        label = f"{action_id[:60]} {how} user={str(user)[:40]} value={str(value)[:60]} view={callback}"
        probe.send("action", label, lambda: interaction(world, payload), may_store=lambda stored, r: allowed)

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        for action_id in ids:
            click(data, action_id)
        for pattern in patterns:
            click(data, data.draw(st.from_regex(pattern)))

    fuzz()
    probe.assert_clean()


def _case_id(world: World, reference: str) -> int:
    from conversations.storage.models import Case

    with world.ctx.db.unit_of_work() as uow:
        return uow.session.scalar(select(Case.id).where(Case.reference == reference))


# --- shortcuts and unknown interaction types --------------------------------------------------


def test_shortcuts_and_unknown_interactions(world, probe):
    def send(kind: str, callback: str, user: Any, drop: list[str]) -> None:
        payload = {
            "type": kind,
            "callback_id": callback,
            "trigger_id": "1.hostile.trigger",
            "user": user,
            "team": {"id": TEAM},
            "action_ts": "1",
        }
        payload = drop_keys(payload, drop)
        label = f"{kind} {callback[:40]!r} user={str(user)[:40]} without {drop}"
        # A shortcut opens the report like `/ypsi report`: it may start (or resume) a draft.
        probe.send(
            "shortcut",
            label,
            lambda: interaction(world, payload),
            may_store=lambda stored, r: set(stored) <= {"drafts", "reminders"} and kind != "nope",
        )

    shortcuts = [str(c) for kind, c in registered(world.slack.app) if kind == "shortcut"]
    assert CallbackId.REPORT_SHORTCUT in shortcuts
    # bolt's shortcut listeners also match message shortcuts: each, missing each part.
    for callback in shortcuts:
        for kind in ("shortcut", "message_action"):
            for missing in ([], ["trigger_id"], ["team"], ["user"], ["callback_id"]):
                send(kind, callback, {"id": TEACHER}, missing)

    @fuzz_settings(40)
    @given(
        kind=st.sampled_from(
            ["shortcut", "message_action", "block_suggestion", "workflow_step_edit", "nope"]
        ),
        callback=st.one_of(st.sampled_from([str(c) for c in CallbackId]), hostile_text(40)),
        user=user_object(USERS),
        drop=st.lists(st.sampled_from(["trigger_id", "team", "user", "callback_id"]), max_size=2),
    )
    def fuzz(kind: str, callback: str, user: Any, drop: list[str]) -> None:
        send(kind, callback, user, drop)

    fuzz()
    probe.assert_clean()


# --- events -----------------------------------------------------------------------------------


def event_body(event: Any, **extra: Any) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0YPSIAPP0",
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        **extra,
    }


EVENTS: list[Any] = [
    {
        "type": "message",
        "channel": dm_channel(TEACHER),
        "channel_type": "im",
        "user": TEACHER,
        "text": INJECTION,
    },
    {"type": "message", "channel_type": "im", "user": TEACHER, "text": "no channel"},
    {"type": "message", "channel": dm_channel(TEACHER), "channel_type": "im", "text": "no user"},
    {
        "type": "message",
        "subtype": "file_share",
        "channel": dm_channel(TEACHER),
        "channel_type": "im",
        "user": TEACHER,
    },
    {"type": "message", "subtype": "file_share", "channel_type": "im", "user": TEACHER, "files": None},
    {"type": "message", "subtype": "file_share", "channel": OAKFIELD.dsl_channel, "channel_type": "group"},
    {"type": "message", "subtype": "file_share", "channel": "D1", "channel_type": "im", "user": "<!channel>"},
    {"type": "message", "subtype": "file_share", "channel": "D1", "channel_type": "im", "user": ["U1"]},
    {"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER", "channel": "D1", "channel_type": "im"},
    {"type": "message", "channel": "D1", "channel_type": "im", "user": BOT_USER, "bot_id": "B0YPSIBOT0"},
    {"type": "message", "subtype": "message_changed", "channel": "D1", "channel_type": "im", "message": {}},
    {"type": "message", "subtype": "message_deleted", "channel": "D1", "channel_type": "im"},
    {"type": "message"},
    {"type": "app_home_opened", "user": TEACHER, "tab": "home"},
    {"type": "app_home_opened", "user": OAK_DSL, "tab": "home", "view": {"id": "V1"}},
    {"type": "app_home_opened", "user": OAK_DSL, "tab": "messages"},
    {"type": "app_home_opened", "user": OAK_DSL, "tab": "<!channel>"},
    {"type": "app_home_opened", "user": OAK_DSL, "tab": ["home"]},
    {"type": "app_home_opened", "tab": "home"},
    {"type": "app_home_opened", "user": {"id": OAK_DSL}, "tab": "home"},
    {"type": "app_mention", "user": TEACHER, "channel": "C0STAFFROOM", "text": f"<@{BOT_USER}> {INJECTION}"},
    {"type": "file_shared", "file_id": "F1", "user_id": TEACHER},
    {"type": "member_joined_channel", "user": TEACHER, "channel": OAKFIELD.dsl_channel},
    {"type": "no_such_event"},
    {"type": None},
    {"type": ["message"]},
    {},
    [],
    "message",
    None,
]


def event_types(app: Any) -> list[str]:
    """The event types the app listens to (from its listeners), and two it does not."""
    types = {c if isinstance(c, str) else c.get("type") for kind, c in registered(app) if kind == "event"}
    return sorted({str(t) for t in types if t} | {"app_mention", "reaction_added"})


def test_event_callbacks(world, probe):
    assert {"message", "app_home_opened"} <= set(event_types(world.slack.app))

    def deliver(body: Any, label: str) -> None:
        probe.send("event", label, lambda: world.slack.send(json.dumps(body), "application/json"))

    for event in EVENTS:
        deliver(event_body(event), f"event {json.dumps(event)[:120]}")
    for body in (
        drop_keys(event_body(EVENTS[0]), ["event"]),
        drop_keys(event_body(EVENTS[3]), ["event_id"]),
        drop_keys(event_body(EVENTS[3]), ["team_id"]),
        event_body(EVENTS[3], event_id=["Ev1"]),
        event_body(EVENTS[3], event_id={"x": 1}),
        event_body(EVENTS[3], event_id="E" * 10_000),
        {"type": "url_verification", "challenge": INJECTION, "token": "legacy"},
        {"type": "url_verification", "challenge": None},
        {"type": "url_verification"},
        {"type": "app_rate_limited", "minute_rate_limited": 1},
        {"type": "no_such_type"},
        {"type": None},
        {},
    ):
        deliver(body, f"body {json.dumps(body)[:120]}")

    keys = {
        "user": st.one_of(st.sampled_from(USERS), anything()),
        "channel": st.one_of(st.sampled_from([dm_channel(TEACHER), OAKFIELD.dsl_channel]), anything()),
        "channel_type": st.one_of(st.sampled_from(["im", "group", "channel", "mpim"]), anything()),
        "subtype": st.one_of(st.sampled_from(["file_share", "bot_message", "thread_broadcast"]), anything()),
        "text": hostile_text(),
        "files": st.one_of(st.just([{"id": "F1", "name": "x.jpg"}]), wrong_type()),
        "tab": anything(),
        "bot_id": anything(),
    }

    @fuzz_settings(80)
    @given(
        kind=st.one_of(st.sampled_from(event_types(world.slack.app)), hostile_text(30)),
        event=st.fixed_dictionaries({}, optional=keys),
    )
    def fuzz(kind: str, event: dict[str, Any]) -> None:
        deliver(event_body({"type": kind, **event}), f"event {kind[:30]!r} {str(event)[:120]}")

    fuzz()
    probe.assert_clean()


# --- signatures and replays -------------------------------------------------------------------


def test_replayed_requests_act_once(world, probe):
    slack = world.slack
    slack.command(RIVERSIDE_STAFF, "report")  # their open draft, at its first step
    replays = {
        "file shared in a DM": (
            json.dumps(
                event_body(
                    {
                        "type": "message",
                        "subtype": "file_share",
                        "channel": dm_channel(TEACHER),
                        "channel_type": "im",
                        "user": TEACHER,
                    }
                )
            ),
            "application/json",
        ),
        "a step answered": (
            urlencode({"payload": json.dumps(slack.submission(RIVERSIDE_STAFF, DIALOGUE_ANSWERS["safety"]))}),
            FORM,
        ),
        "/ypsi report": (urlencode(command_form(STRANGER, "report")), FORM),
    }
    for name, (body, content_type) in replays.items():
        ts = int(time.time())
        first = slack.send(body, content_type, timestamp=ts)
        assert first.status == 200, name
        before, calls = snapshot(slack.ctx), len(slack.api.calls())
        probe.send("replay", name, lambda b=body, c=content_type, t=ts: slack.send(b, c, timestamp=t))
        again = [c for c in slack.api.calls()[calls:] if c.method.startswith("chat.")]
        assert changes(before, snapshot(slack.ctx)) == {}, f"{name}: the replay stored something"
        assert again == [], f"{name}: the replay posted {again}"
    probe.assert_clean()


def _raw_post(
    world: World, body: bytes, headers: dict[str, str], method: str = "POST", path: str = ""
) -> Response:
    url = world.slack.url + path
    request = urllib.request.Request(
        url, data=body if method == "POST" else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            response = Response(answer.status, answer.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        response = Response(error.code, error.read().decode(errors="replace"))
    world.slack.executor.drain()
    return response


def _signed(body: bytes, ts: int | str, content_type: str = FORM) -> dict[str, str]:
    base = f"v0:{ts}:".encode() + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature,
    }


def test_bad_signatures_and_timestamps_are_401(world, probe):
    body = urlencode(command_form(TEACHER, "report")).encode()
    now = int(time.time())
    cases: dict[str, dict[str, str]] = {
        "6 minutes old": _signed(body, now - 6 * 60),
        "an hour old": _signed(body, now - 3600),
        "6 minutes ahead": _signed(body, now + 6 * 60),
        "timestamp not a number": _signed(body, "abc"),
        "empty timestamp": _signed(body, ""),
        "signature of another body": _signed(body + b"&x=1", now),
        "signature with another secret": {
            **_signed(body, now),
            "X-Slack-Signature": "v0="
            + hmac.new(b"other", f"v0:{now}:".encode() + body, "sha256").hexdigest(),
        },
        "v1 signature": {**_signed(body, now), "X-Slack-Signature": "v1=" + "0" * 64},
        "empty signature": {**_signed(body, now), "X-Slack-Signature": ""},
        "no signature": drop_keys(_signed(body, now), ["X-Slack-Signature"]),
        "no timestamp": drop_keys(_signed(body, now), ["X-Slack-Request-Timestamp"]),
    }
    for name, headers in cases.items():
        calls = len(world.slack.api.calls())
        answer = probe.send("signature", name, lambda h=headers: _raw_post(world, body, h))
        assert answer is not None and answer.status == 401, f"{name}: {answer}"
        assert world.slack.api.calls()[calls:] == [], f"{name}: an unverified request reached Slack"
    probe.assert_clean()


def test_malformed_bodies_get_a_4xx(world, probe):
    now = int(time.time())
    bodies: dict[str, tuple[bytes, str]] = {
        "not form-encoded": (b"this is not a form %%% &&& ===", FORM),
        "payload= not JSON": (b"payload=%7Bnot+json", FORM),
        "payload= a JSON array": (b"payload=%5B1%2C2%5D", FORM),
        "payload= a JSON string": (b"payload=%22x%22", FORM),
        "payload= null": (b"payload=null", FORM),
        "payload= empty": (b"payload=", FORM),
        "payload twice": (b"payload=%7B%7D&payload=%7B%7D", FORM),
        "empty body": (b"", FORM),
        "empty JSON body": (b"", "application/json"),
        "JSON array body": (b"[1, 2, 3]", "application/json"),
        "JSON string body": (b'"event_callback"', "application/json"),
        "invalid JSON body": (b'{"type": "event_callback", ', "application/json"),
        "form body sent as JSON": (urlencode(command_form(TEACHER, "help")).encode(), "application/json"),
        "JSON body sent as a form": (json.dumps(event_body(EVENTS[0])).encode(), FORM),
        "text/plain": (b"payload=%7B%7D", "text/plain"),
        "no content type": (b"payload=%7B%7D", ""),
        "not UTF-8": (b"payload=\xff\xfe\xfa", FORM),
        "not UTF-8 JSON": (b'{"type": "\xff"}', "application/json"),
        "NUL bytes": (b"\x00" * 64, FORM),
        "one megabyte": (b"text=" + b"x" * 1_000_000, FORM),
    }
    for name, (body, content_type) in bodies.items():
        headers = _signed(body, now, content_type)
        if not content_type:
            del headers["Content-Type"]
        answer = probe.send("malformed", name, lambda b=body, h=headers: _raw_post(world, b, h))
        assert (
            answer is None or answer.status != 200 or name in ("payload twice", "JSON body sent as a form")
        ), f"{name}: {answer}"
    for name, method, path in (("GET", "GET", ""), ("another path", "POST", "/../admin")):
        probe.send("malformed", name, lambda m=method, p=path: _raw_post(world, b"", _signed(b"", now), m, p))
    probe.assert_clean()


# --- mrkdwn injection through a whole report --------------------------------------------------


def test_typed_mrkdwn_never_pings_or_links(ctx, slack, caplog):
    """Every free-text field of an urgent report holds pings and links; none is live anywhere."""
    short = "<!channel><!here><@U0OAKDSL00><@U0INJECT00><http://evil.example|x>&lt;"
    texts = {
        (step.key, f.key): next(
            t for t in (f"INJ-{f.key} {INJECTION}", f"INJ {short}") if len(t) <= f.max_length
        )
        for step in ctx.guidance.steps.values()
        for f in step.fields
        if f.type == "text"
    }
    assert len(texts) >= 3
    answers = {step: dict(values) for step, values in DIALOGUE_ANSWERS.items()}
    answers["risk"] = {"immediate_risk": "yes"}  # the urgent card mentions the DSLs itself
    answers["risk_actions"] = {"safe_adult": "yes"}
    for (step, key), text in texts.items():
        answers.setdefault(step, {})[key] = text
    slack.command(TEACHER, "report " + INJECTION)
    while slack.view(TEACHER)["callback_id"] != CallbackId.REVIEW:
        step = slack.view(TEACHER)["callback_id"].split(":", 1)[1]
        ack = slack.submit_view(TEACHER, answers[step])
        assert ack.json["response_action"] == "update", (step, ack.json)
    slack.click(TEACHER, "ypsi_back", "back")
    slack.submit_view(TEACHER, answers["account"])
    assert slack.submit_view(TEACHER).json["view"]["callback_id"] == CallbackId.SENT
    slack.command(TEACHER, "status")
    slack.command(TEACHER, INJECTION)
    slack.close_view(TEACHER)
    cards = slack.api.posted(OAKFIELD.dsl_channel)
    assert cards and any(f"<@{OAK_DSL}>" in json.dumps(c) for c in cards), "the app's own mention is there"
    leaks = {(c.method, p) for c in slack.api.calls() for p in pings_in(c.params)}
    assert leaks == set(), leaks
    channel_text = json.dumps([c.params for c in slack.api.calls() if c.method.startswith("chat.")])
    assert "INJ-" not in channel_text, "typed text reached a message"
    TRIED["mrkdwn"] += len(slack.api.calls())


def test_back_on_an_old_modal_after_sending_is_a_notice_not_an_error(slack, caplog):
    """Found by the fuzzing: Back on a sent (or someone else's) draft raised past the listener."""
    slack.command(TEACHER, "report")
    walk_to_review(slack)
    review = slack.submission(TEACHER)["view"]
    assert slack.submit_view(TEACHER).json["view"]["callback_id"] == CallbackId.SENT
    old = {**review, "id": "V0OLDREVIEW"}
    slack.api.views[old["id"]] = old
    slack.current[TEACHER] = old["id"]
    with caplog.at_level(logging.WARNING):
        assert slack.click(TEACHER, ActionId.BACK, "back").status == 200
    assert slack.api.views[old["id"]]["callback_id"] == CallbackId.NOTICE
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not [r for r in caplog.records if "didn't call ack" in r.getMessage()]
    TRIED["regression"] += 1


def test_opening_step_metadata_counts_only_when_exactly_empty(world, probe):
    """Found by a random run: the opening step whose metadata was mangled into "" is the opening
    (it starts the sender's draft); any other mangled value starts nothing."""
    opening = step_callback(next(iter(world.ctx.guidance.steps)))
    answer = {"understood": {"understood": {"type": "radio_buttons", "selected_option": {"value": "yes"}}}}
    for meta in ["", " ", "\u200b", "null"]:
        payload = view_payload(
            "view_submission", opening, "placeholder", answer, {"id": TEACHER, "team_id": TEAM}
        )
        payload = mangle(payload, "view.private_metadata", meta)
        assert is_opening(world, payload) is (meta == "")
        probe.send(
            "regression",
            f"opening step, metadata mangled to {meta!r}",
            lambda payload=payload: interaction(world, payload),
            may_store=lambda stored, r, meta=meta: meta == "",
        )
    probe.assert_clean()


# --- the count --------------------------------------------------------------------------------


def test_zz_report_how_many_inputs_were_tried(capsys):
    """Last in the file: print the number of hostile inputs sent (shown with or without -s)."""
    if not TRIED:
        pytest.skip("run with the tests above: they fill the counter")
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(TRIED.items()))
    with capsys.disabled():
        print(f"\nhostile input: {sum(TRIED.values())} inputs tried ({kinds})")
        print("answers: " + ", ".join(f"{k}: {n}" for k, n in sorted(ANSWERS.items())))
