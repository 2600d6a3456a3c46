"""Hostile Slack input: the entry points to attack, Hypothesis strategies, and the one judge.

Entry points are enumerated, never listed by hand: the callback and action ids in `bot.ids`,
one step callback per dialogue step, every decision key of `decisions.toml` (appended to any
callback id the report dialogue does not use), the reminder buttons' action ids, and every
constraint a listener is actually registered with in the bolt app (regexes are sampled with
`st.from_regex`). A listener added tomorrow is attacked without editing these tests.

`Probe.send` sends one input and judges it: an HTTP answer below 500 (never a dropped
connection), no ERROR record but the error handler's one line (and never a traceback), no
file method called, no unescaped ping or link reaching the fake Slack API, and no row stored
beyond what the input may legitimately cause. Problems are collected, not raised, so one run
shows them all; `Probe.assert_clean` fails the test with a sample of each kind.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from slack_bolt import App
from sqlalchemy import select

from bot.ids import STEP_SEPARATOR, ActionId, CallbackId, step_callback
from bot.slack.reminder_posts import ACTION_PREFIX
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.dialogue import reports
from conversations.scheduling.reminder_messages import ButtonAction
from conversations.storage.models import AuditEvent, Base
from tests.answers import BASE, complete
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER, TEAM
from tests.slack.harness import Response, SlackHarness

TRIED: Counter[str] = Counter()  # inputs sent, by kind: printed at the end of the module
ANSWERS: Counter[str] = Counter()  # HTTP status per kind ("view 200"), printed with TRIED

STRANGER = "U0STRANGER"  # a member of the workspace listed in no academy
RIVERSIDE_STAFF = RIVERSIDE.staff_users[0]
OAK_DSL, RIV_DSL = OAKFIELD.dsl_users[0], RIVERSIDE.dsl_users[0]
INJECTED_USER = "U0INJECT00"  # a mention only typed text can contain
# Callback ids the report dialogue owns; any other one may carry a decision key after a colon.
REPORT_CALLBACKS = set(CallbackId)
# Audit actions an input may legitimately append (a refusal, a file refused, a case opened).
ALLOWED_AUDIT = {"access_refused", "file_refused", "case_opened"}
# Unescaped mrkdwn that only typed text can have produced.
# Web API parameters Slack displays (ids such as `user` or `channel` are never rendered).
DISPLAYED = ("text", "blocks", "attachments", "view")
PINGS = ("<!channel", "<!here", "<!everyone", "<http://evil", f"<@{INJECTED_USER}")


@dataclass
class World:
    """One app with a little history: drafts and cases of two academies."""

    slack: SlackHarness
    own_draft: str  # TEACHER's open draft (at the young people step)
    other_draft: str  # a Riverside member of staff's open draft
    own_case: str  # Oakfield's case, reported by TEACHER
    other_case: str  # Riverside's case

    @property
    def ctx(self) -> Context:
        return self.slack.ctx


def build_world(slack: SlackHarness) -> World:
    """Two submitted cases (one per academy) and two open drafts, made through the services."""
    ctx = slack.ctx
    riverside = {**BASE, "academy": {"academy": "riverside"}}
    other_case = reports.submit(ctx, complete(ctx, RIVERSIDE_STAFF, TEAM, riverside).id, RIVERSIDE_STAFF)
    own_case = reports.submit(ctx, complete(ctx, TEACHER, TEAM, BASE).id, TEACHER)
    other = reports.start(ctx, TEAM, RIVERSIDE_STAFF)
    own = reports.start(ctx, TEAM, TEACHER)
    for step in ("safety", "risk"):
        own = reports.answer(ctx, own.id, TEACHER, BASE[step]).draft
    return World(slack, own.id, other.id, own_case.reference, other_case.reference)


# --- entry points -----------------------------------------------------------------------------


def registered(app: App) -> list[tuple[str, Any]]:
    """(kind, constraint) of every listener the app has: the matchers' own closures."""
    found = []
    for listener in app._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            kind = getattr(func, "__qualname__", "").split(".")[0]
            for cell in getattr(func, "__closure__", None) or ():
                if isinstance(cell.cell_contents, str | re.Pattern | dict):
                    found.append((kind, cell.cell_contents))
    return found


def _registered_ids(app: App, kinds: set[str]) -> tuple[set[str], list[re.Pattern[str]]]:
    """The exact ids and the patterns the app's listeners of these kinds match."""
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for kind, constraint in registered(app):
        if kind in kinds and isinstance(constraint, str):
            exact.add(str(constraint))
        elif kind in kinds and isinstance(constraint, re.Pattern):
            patterns.append(constraint)
    return exact, patterns


VIEW_KINDS = {"view_submission", "view_closed", "view"}
ACTION_KINDS = {"action", "block_action"}


def decision_keys() -> list[str]:
    return list(load_decisions().by_key)


def _keyed(prefixes: Iterable[str], patterns: list[re.Pattern[str]]) -> set[str]:
    """`<prefix>:<decision key>` ids that a registered pattern would match (e.g. decide buttons)."""
    ids = {f"{p}{STEP_SEPARATOR}{key}" for p in prefixes for key in decision_keys()}
    return {i for i in ids if any(p.search(i) for p in patterns)}


def callback_ids(ctx: Context, app: App) -> list[str]:
    """Every modal callback id: the enum, each step, registered ones, unknown ones (registered
    patterns are sampled by the tests)."""
    exact = _registered_ids(app, VIEW_KINDS)[0]
    ids = {str(c) for c in CallbackId} | exact
    ids |= {step_callback(step) for step in ctx.guidance.steps}
    ids |= {"ypsi_unknown_view", f"{CallbackId.STEP}{STEP_SEPARATOR}no_such_step", ""}
    return sorted(ids)


def action_ids(app: App) -> list[str]:
    """Every button: the enum, keyed ones, the reminder buttons, registered ones, unknown ones."""
    exact, patterns = _registered_ids(app, ACTION_KINDS)
    ids = {str(a) for a in ActionId} | exact
    ids |= _keyed(map(str, ActionId), patterns)
    ids |= {f"{ACTION_PREFIX}{b}:1" for b in ButtonAction}
    ids |= {"ypsi_unknown_action", f"{ACTION_PREFIX}nothing:1", ""}
    return sorted(ids)


def id_patterns(app: App, kinds: set[str]) -> list[re.Pattern[str]]:
    """The regexes listeners of these kinds match ids with (tests draw ids from them)."""
    return _registered_ids(app, kinds)[1]


def fields_of(ctx: Context, callback_id: str) -> list[str]:
    """The field keys a callback id's modal may have: its step's, else any step's or decision's."""
    _, _, key = callback_id.partition(STEP_SEPARATOR)
    if callback_id.startswith(str(CallbackId.STEP)) and key in ctx.guidance.steps:
        return [f.key for f in ctx.guidance.steps[key].fields]
    forms = [*ctx.guidance.steps.values(), *(d.form for d in load_decisions().by_key.values())]
    return sorted({f.key for form in forms for f in form.fields})


# --- strategies -------------------------------------------------------------------------------

INJECTION = "<!channel> <!here> <@U0OAKDSL00> <@U0INJECT00> <http://evil.example|click> &lt; &amp;"
BIG = 100_000
NASTY = [
    "",
    " ",
    "\x00",
    "\x00\x01\x1b[31m\r\n\t\u202e\ufeff",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "💥" * 50,
    INJECTION,
    "x" * BIG,
    INJECTION * 1500,
    "'; DROP TABLE cases; --",
    "{{reference}} {0} %s %(x)s",
    "../../etc/passwd",
    "null",
    "YPSI-2026-0001",
]


def mostly(common: st.SearchStrategy[Any], *rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`common` three times in four, else one of `rare` (one_of would weigh them all alike)."""
    return st.integers(0, 4 * len(rare) - 1).flatmap(lambda i: rare[i] if i < len(rare) else common)


def hostile_text(max_size: int = 300) -> st.SearchStrategy[str]:
    """Any unicode (controls included), the nasty corpus, or huge strings."""
    return st.one_of(
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
        st.sampled_from(NASTY),
        st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(1000, 20_000)),
    )


def wrong_type() -> st.SearchStrategy[Any]:
    """Values of the wrong JSON type where strings or objects are expected."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        st.just([{"value": "x"}]),
    )


def anything() -> st.SearchStrategy[Any]:
    return st.one_of(hostile_text(), wrong_type())


def metadata(world: World) -> st.SearchStrategy[Any]:
    """private_metadata: other people's drafts, other academies' cases, garbage, wrong types."""
    refs = [world.own_case, world.other_case, "YPSI-1999-9999"]
    strings = st.one_of(
        st.sampled_from(
            [
                world.other_draft,
                world.own_draft,
                world.own_draft + "x",
                *refs,
                "x" * 10_000,
                "",
            ]
        ),
        st.builds(
            lambda ref, key, extra: json.dumps({"case": ref, "decision": key, **extra}),
            st.one_of(st.sampled_from(refs), wrong_type()),
            st.one_of(st.sampled_from(decision_keys() + ["nope"]), wrong_type()),
            st.dictionaries(st.sampled_from(["draft", "reference", "key"]), st.just(world.other_draft)),
        ),
        hostile_text(),
    )
    return mostly(strings, wrong_type())


ELEMENT_KINDS = [
    "plain_text_input",
    "radio_buttons",
    "static_select",
    "checkboxes",
    "multi_static_select",
    "datepicker",
    "datetimepicker",
    "users_select",
    "number_input",
]


def element_state(value: st.SearchStrategy[Any], option: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One input's state as Slack sends it, each kind of element, with these values in it."""
    return st.one_of(
        st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": value}),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["radio_buttons", "static_select"]), "selected_option": option}
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["checkboxes", "multi_static_select"]),
                "selected_options": st.lists(option, max_size=4),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(ELEMENT_KINDS),
                "selected_date": value,
                "selected_date_time": value,
                "selected_user": value,
                "value": value,
            }
        ),
    )


# Elements Slack could send (hostile text in every value) and ones it never would.
TYPED_ELEMENT = element_state(hostile_text(), st.fixed_dictionaries({"value": hostile_text()}))
MISTYPED_ELEMENT = st.one_of(
    element_state(wrong_type(), st.one_of(wrong_type(), hostile_text(20))),
    st.fixed_dictionaries({"type": anything()}),
    wrong_type(),
)


def state_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """view.state.values for these field keys (some missing, some extra), now and then mistyped."""

    def shaped(element: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.lists(st.sampled_from(keys + ["unknown_field"]), unique=True, max_size=8).flatmap(
            lambda chosen: st.fixed_dictionaries({k: st.fixed_dictionaries({k: element}) for k in chosen})
        )

    return mostly(shaped(TYPED_ELEMENT), shaped(MISTYPED_ELEMENT), wrong_type())


def user_object(users: list[str]) -> st.SearchStrategy[Any]:
    valid = st.builds(lambda u: {"id": u, "team_id": TEAM}, st.sampled_from(users))
    return mostly(valid, st.builds(lambda u: {"id": u}, anything()), wrong_type())


def drop_keys(payload: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in set(keys)}


# --- the judge --------------------------------------------------------------------------------


def snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, decrypted, as tuples (the comparison is by content)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = sorted(
                (tuple(repr(v) for v in row) for row in conn.execute(select(table))), key=repr
            )
    return rows


def changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows added or changed per table (rows of `after` that were not in `before`)."""
    found = {}
    for table, rows in after.items():
        old = set(before.get(table, []))
        new = [r for r in rows if r not in old]
        gone = [r for r in before.get(table, []) if r not in set(rows)]
        if new or gone:
            found[table] = new + gone
    return found


def audit_actions(rows: list[tuple]) -> set[str]:
    index = [c.name for c in AuditEvent.__table__.columns].index("action")
    return {row[index].strip("'") for row in rows}


def mrkdwn_strings(value: Any, *, plain: bool = False) -> Iterable[str]:
    """Every string of an API call that Slack would parse as mrkdwn (plain_text objects and
    values that are never displayed are skipped)."""
    if isinstance(value, dict):
        plain_object = value.get("type") == "plain_text"
        for key, item in value.items():
            if key in ("value", "initial_value", "private_metadata", "action_id", "block_id"):
                continue
            yield from mrkdwn_strings(item, plain=plain_object and key == "text")
    elif isinstance(value, list):
        for item in value:
            yield from mrkdwn_strings(item)
    elif isinstance(value, str) and not plain:
        yield value


def pings_in(params: dict[str, Any]) -> list[str]:
    """Unescaped pings or links in a Web API call that only typed text can have put there."""
    found = []
    shown = {k: v for k, v in params.items() if k in DISPLAYED}
    for text in mrkdwn_strings(shown):
        found += [p for p in PINGS if p in text]
        if "<@U0OAKDSL00>" in text and "INJ" in text:
            found.append("<@U0OAKDSL00> next to typed text")
    return found


@dataclass
class Probe:
    """Sends inputs to one app, judges each, and collects what is wrong."""

    world: World
    records: Callable[[], list[logging.LogRecord]]
    problems: dict[str, list[str]] = field(default_factory=dict)
    handled_errors: Counter[str] = field(default_factory=Counter)

    def send(
        self,
        kind: str,
        label: str,
        request: Callable[[], Response],
        *,
        may_store: Callable[[dict[str, list[tuple]], Response], bool] | None = None,
    ) -> Response | None:
        """Send one input; record any problem under `kind`. Returns the answer, if any."""
        slack = self.world.slack
        TRIED[kind] += 1
        before, calls, logs = snapshot(slack.ctx), len(slack.api.calls()), len(self.records())
        try:
            response = request()
        except Exception as exc:  # a dropped connection is the worst answer of all
            self._note(kind, f"no HTTP answer ({exc.__class__.__name__})", label)
            slack.executor.drain()
            return None
        ANSWERS[f"{kind} {response.status}"] += 1
        if response.status >= 500:
            self._note(kind, f"HTTP {response.status}", label)
        for record in self.records()[logs:]:
            self._judge_log(kind, label, record)
        for call in slack.api.calls()[calls:]:
            if call.method.startswith("files."):
                self._note(kind, f"called {call.method}", label)
            for ping in pings_in(call.params):
                self._note(kind, f"unescaped {ping!r} in {call.method}", label)
        stored = changes(before, snapshot(slack.ctx))
        self._judge_storage(kind, label, stored, response, may_store)
        return response

    def _judge_log(self, kind: str, label: str, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "didn't call ack()" in message:  # bolt waited out its 3 s and then answered 404
            self._note(kind, "no ack: bolt's ack race (the listener failed just after ack())", label)
        if record.levelno < logging.ERROR:
            return
        if record.name == "ypsi.slack" and message.startswith("unhandled error") and not record.exc_info:
            self.handled_errors[f"{kind}: {message}"] += 1
            return
        self._note(
            kind, f"ERROR log {record.name}: {message[:120]} (traceback: {bool(record.exc_info)})", label
        )

    def _judge_storage(self, kind, label, stored, response, may_store) -> None:  # type: ignore[no-untyped-def]
        stored = dict(stored)
        stored.pop("processed_deliveries", None)  # event ids claimed: the retry filter's job
        if "audit_events" in stored and audit_actions(stored["audit_events"]) <= ALLOWED_AUDIT:
            del stored["audit_events"]
        if stored and not (may_store and may_store(stored, response)):
            self._note(kind, f"stored rows in {sorted(stored)}", label)

    def _note(self, kind: str, problem: str, label: str) -> None:
        self.problems.setdefault(f"{kind}: {problem}", []).append(label[:300])

    def assert_clean(self) -> None:
        """Fail with each kind of problem and up to three inputs that caused it."""
        report = [f"{p} ×{len(labels)}, e.g. {labels[:3]}" for p, labels in self.problems.items()]
        assert not report, "hostile input problems:\n" + "\n".join(report)
