"""What every front end says: the plain wording and sizes the Slack and Teams screens share.

Text that names no platform's commands, menus or mentions, so each front end shows it as is
(OUT_OF_HOURS's emphasis is Markdown both render); wording that names a platform's own commands
or menus stays in that front end.
"""

from __future__ import annotations

from datetime import date

from conversations.dialogue.routing import Alert
from conversations.errors import (
    ConfigError,
    ConversationError,
    InvalidAnswer,
    NotAllowedNow,
    NotAuthorised,
    NotFound,
)
from conversations.scheduling.reminder_messages import ButtonAction

ErrorTable = tuple[tuple[type[ConversationError], str], ...]

# The report: hints under questions, what the review shows.
SENSITIVE_HINT = "Encrypted, and shown only to the DSL team. Never shown in a channel."
ANSWER_SHOWN = 500  # characters of one typed answer on the review
# What the reporter is told about a point of immediate referral: the decision is the DSL's.
REFER_NOW = "the DSL will decide whether to refer now"
# SUAT 2019: "In an emergency always call 999".
OUT_OF_HOURS = (
    "*Out of school hours:* the DSL team may not see this until the next school day. "
    "If a young person is in danger, call 999 now; otherwise call the numbers below."
)
INTRO = (
    "Report a concern about nudes or semi-nudes shared by young people privately to your DSL team. "
    "Never view, copy or forward an image, and never send one here. "
    "If a young person is in danger now, call 999."
)

# The receipt: when the DSL team will be in touch: "usually today" only in school hours (out of
# hours the receipt says so, and whom to call now).
IN_HOURS = "the DSL team has been alerted privately and will contact you, usually today."
ALERTED = "the DSL team has been alerted privately."
PRINCIPAL_NOTE = (
    'You are told as the Principal (SUAT 2019: "The Safeguarding Lead should inform the Principal"). '
    "This case is urgent or aggravated; the DSL will agree the response with you. No pupil details "
    "are sent here."
)

# The DSL's case screens.
TIMELINE_SHOWN = 40  # the latest events; the export has every one
TEXT_SHOWN = 600  # characters of one typed answer on the case screen; the export has all of it
STAFF_SAW_IMAGE = (
    "The member of staff saw an image (they say they kept, copied and forwarded nothing): "
    "if it was viewed, record it (Record of viewing imagery)"
)
ALREADY_ACKNOWLEDGED = (
    "This case has already been picked up. Open the case to see who owns it and what is due."
)
NOT_SET_UP = "ypsi-bot is not set up for your academy yet. Please tell your DSL or IT team."
# NotFound and NotAuthorised read the same, so a reference's existence is not revealed to
# someone who may not see it.
CASE_REFUSED = "You are not authorised to see that case. Ask your DSL if you think this is wrong."
# Said by both front ends' error tables and above Teams' dialogs.
CHECK_ANSWERS = "Some answers need checking: see the messages under each question."
NOT_AUTHORISED = "You are not authorised to see that. Ask your DSL if you think this is wrong."
CASE_ERROR_TEXT: ErrorTable = (
    (InvalidAnswer, CHECK_ANSWERS),
    (NotFound, CASE_REFUSED),
    (NotAuthorised, CASE_REFUSED),
    (
        NotAllowedNow,
        "That is not possible at this stage of the case. Open the case to see what can be done now.",
    ),
    (ConfigError, NOT_SET_UP),
)

# Reminders: the "extend deadline" form's inputs (input id = the service's error keys).
DEADLINE, REASON = "deadline", "reason"
REASON_LIMIT = 1000
# Buttons whose label names a young person (by pseudonym): never in a channel message.
PRIVATE_ONLY = frozenset({ButtonAction.DELETION_CONFIRMED_FOR})


def error_text(error: ConversationError, table: ErrorTable, otherwise: str) -> str:
    """The short user text for a known service error: the table's first matching class wins,
    `otherwise` for any other. (StaleStep never shows: the listeners re-render the step.)"""
    for kind, text in table:
        if isinstance(error, kind):
            return text
    return otherwise


def alert_text(alert: Alert) -> str:
    """The notification text (lock screens show it): reference and academy only."""
    urgent = "URGENT " if alert.urgent else ""
    return f"{urgent}YPSI concern {alert.reference} at {alert.academy_name}"


def extended_text(deadline: date) -> str:
    """What the DSL sees once the deadline is moved."""
    return f"Deadline extended to {deadline:%a %d %b %Y}. The reminders follow the new date."
