"""2. Submit to alert: from sending the final view_submission to the DSL channel's chat.postMessage.

Each round one new member of staff walks the whole modal in ypsi-bot, then in the bare app
(whose last step posts one static message after its ack); only the final submit is timed.
ypsi-bot runs with its own bolt setting; SQLite and PostgreSQL each get a fresh database.
"""

from __future__ import annotations

from bench.clients import BARE_CHANNEL, BareHarness, full_report
from bench.common import Row, TimedSlackApi, context, ms, on_each_database, people, percentile, slack_api
from tests.conftest import OAKFIELD
from tests.slack.harness import SlackHarness

NAME = "2 alert"
ROUNDS = 60
WARMUP = 5


def run() -> list[Row]:
    return on_each_database(NAME, "submit to alert", _run)


def _run(kind: str) -> list[Row]:
    staff = people("ALERT", ROUNDS + WARMUP)
    ypsi_times: list[float] = []
    bare_times: list[float] = []
    with context(kind, staff) as ctx, slack_api() as api:
        ypsi, bare = SlackHarness(ctx, api), BareHarness(ctx, api)
        try:
            for n, user in enumerate(staff):
                ypsi_ms = _submit_to_alert(ypsi, api, user, OAKFIELD.dsl_channel)
                bare_ms = _submit_to_alert(bare, api, user, BARE_CHANNEL)
                if n >= WARMUP:
                    ypsi_times.append(ypsi_ms)
                    bare_times.append(bare_ms)
        finally:
            ypsi.stop()
            bare.stop()
    note = f"{len(ypsi_times)} reports; baseline: bare app posting one message after its ack"
    return [
        Row(
            NAME,
            f"submit to alert p{p}, {kind}",
            percentile(ypsi_times, p),
            baseline=percentile(bare_times, p),
            note=note,
        )
        for p in (50, 99)
    ]


def _submit_to_alert(slack: SlackHarness, api: TimedSlackApi, user: str, channel: str) -> float:
    sent = full_report(slack, user)
    return ms(api.arrived("chat.postMessage", sent, channel) - sent)
