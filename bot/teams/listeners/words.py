"""What the Teams listeners say in plain messages: the shared wording (`bot.wording`), with
Teams' words for where things are (`report` typed in the chat with the bot, Teams' own menus)."""

from __future__ import annotations

from bot import wording
from bot.wording import ErrorTable
from conversations.errors import (
    ConfigError,
    ConversationError,
    InvalidAnswer,
    NotAllowedNow,
    NotAuthorised,
    NotFound,
)

HELP = (
    "ypsi-bot helps you report a concern about nudes or semi-nudes shared by young people "
    '("sexting", YPSI) privately to your academy\'s DSL team.\n\n'
    "- **report**: start a report, or carry on with the one you left\n"
    "- **status**: your reports and where they are\n"
    "- **help**: this message\n\n"
    "For DSLs and deputies: **cases** lists the open cases of your academies, "
    "**case YPSI-2026-0042** opens one.\n\n"
    "Never view, copy, forward, screenshot or save an image, and never send one to this app: "
    "it refuses every file. If a young person is in danger now, call 999."
)

FILE_REFUSED = (
    "ypsi-bot did not open, download or keep the file you just shared, and will not pass it on. "
    "The file is still in Teams until you delete it: hover over your message, choose More options "
    "(…) then Delete. Do not share images of young people with anyone, including the DSL. "
    "If a copy is on your phone or computer, tell your DSL about it and they will say what to do. "
    "To report a concern, type report and describe what happened without the image."
)

FILE_REFUSED_DSL = (
    "A file was shared with ypsi-bot by {who} and refused: the bot did not open or keep it. The file "
    "stays in Teams until the sender (or a Teams admin) deletes it; they have been asked to delete "
    "it and to tell you about any copy on their device."
)

NOT_PERSONAL = "ypsi-bot answers only in your own chat with it: open the chat with ypsi-bot and type report."

# An error no table names.
UNEXPECTED = (
    "Sorry, something went wrong on our side. Your answers so far are saved: send report to "
    "ypsi-bot to carry on. If a young person is in danger now, call 999 and tell your DSL in person."
)
# The table of error wording Slack's has, with Teams' way to carry on.
ERROR_TEXT: ErrorTable = (
    (InvalidAnswer, wording.CHECK_ANSWERS),
    (NotFound, "That report is not available. Send report to ypsi-bot to start or resume yours."),
    (NotAuthorised, wording.NOT_AUTHORISED),
    (
        NotAllowedNow,
        "That is not possible at this stage. Send report to ypsi-bot to see where your report is.",
    ),
    (ConfigError, wording.NOT_SET_UP),
)


def error_text(error: ConversationError) -> str:
    """The short text for a known service error, in Teams' words."""
    return wording.error_text(error, ERROR_TEXT, UNEXPECTED)
