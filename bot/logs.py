"""Logs that carry no pupil data: JSON lines of a few known fields, behind a redacting filter.

Our own code logs constant messages with ids only (`log.info("case acknowledged",
extra={"case": ref, "event_id": 7, "action": "acknowledged", "actor": user})`). The filter is
the safety net for everything else: it drops the chatty debug/info records of libraries (the
Slack SDK logs whole request bodies at DEBUG, SQLAlchemy logs statement parameters at INFO),
cuts any `{…}` body out of their warnings, masks Slack tokens and configured secrets, and
replaces exception text (which may quote a value) with the exception's type and stack.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType

OWN = ("ypsi", "bot", "conversations", "state_machines")
FIELDS = ("case", "event_id", "action", "actor", "academy", "delivery", "kind", "count")
TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+")
SIGNATURE = re.compile(r"\bv0=[0-9a-f]{16,}")
BODY = re.compile(r"\{.*\}", re.DOTALL)
MAX_MESSAGE = 500
# A configured secret shorter than this is not masked: replacing a one-letter "secret" would
# mangle every word containing it, and no real Slack secret or key is anywhere near this short.
MIN_SECRET = 8
HANDLER_NAME = "ypsi"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class RedactingFilter(logging.Filter):
    """Drops library chatter and strips bodies, tokens, secrets and exception text from records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET)

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name.split(".")[0] in OWN
        if not own and record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        if not own:
            message = BODY.sub("{…}", message)
        record.msg, record.args = self.redact(message)[:MAX_MESSAGE], None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = describe(record.exc_info)  # type: ignore[arg-type]
        return True

    def redact(self, text: str) -> str:
        """`text` with Slack tokens, request signatures and configured secrets masked."""
        text = SIGNATURE.sub("v0=[redacted]", TOKEN.sub("[token]", text))
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return text


def describe(exc_info: ExcInfo) -> str:
    """The exception's type and where it was raised, never its message (it may quote input)."""
    kind, _, trace = exc_info
    frames = traceback.extract_tb(trace)
    where = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{kind.__module__}.{kind.__qualname__} at {where}" if where else kind.__qualname__


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the known id fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update({f: getattr(record, f) for f in FIELDS if getattr(record, f, None) is not None})
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int, secrets: Iterable[str] = ()) -> logging.Handler:
    """Send JSON lines to stderr through the filter, replacing any plain stream handler set up
    before (a `logging.basicConfig` one would write records unfiltered).

    The filter sits on the handler, the one place records leave the process: loggers that
    libraries create later (SQLAlchemy's engine logger logs decrypted rows at DEBUG) pass it too.
    """
    root = logging.getLogger()
    # Exactly StreamHandler: subclasses (a test runner's capture) are left alone.
    for old in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    return handler
