"""Text for people: escaping for mrkdwn, the one table of error wording, and short messages."""

from __future__ import annotations

from bot import wording
from bot.wording import NOT_SET_UP, ErrorTable
from conversations.errors import (
    ConfigError,
    ConversationError,
    InvalidAnswer,
    NotAllowedNow,
    NotAuthorised,
    NotFound,
)

# The one translation table: each known error the services raise becomes short user text.
# The first matching class wins. (StaleStep never shows: the listeners re-render the step.)
ERROR_TEXT: ErrorTable = (
    (InvalidAnswer, wording.CHECK_ANSWERS),
    (NotFound, "That report is not available. Type /ypsi report to start or resume yours."),
    (NotAuthorised, wording.NOT_AUTHORISED),
    (NotAllowedNow, "That is not possible at this stage. Type /ypsi report to see where your report is."),
    (ConfigError, NOT_SET_UP),
)
CASE_USAGE = "Type `/ypsi case` and the reference, like `/ypsi case YPSI-2026-0042`."
NO_OPEN_CASES = "There are no open cases for your academies."
NO_REPORTS = "You have not sent any reports. Type `/ypsi report` to start one."
UNEXPECTED = (
    "Sorry, something went wrong on our side. Your answers so far are saved: type /ypsi report "
    "to carry on. If a young person is in danger now, call 999 and tell your DSL in person."
)

HELP = """*ypsi-bot* helps you report a concern about nudes or semi-nudes shared by young people \
("sexting", YPSI) privately to your academy's DSL team.
• `/ypsi report`: start a report, or carry on with the one you left (also in the shortcuts menu: \
*Report a YPSI concern*)
• `/ypsi status`: your reports and where they are
• `/ypsi help`: this message
For DSLs and deputies: `/ypsi cases` lists the open cases of your academies, \
`/ypsi case YPSI-2026-0042` opens one; the app's Home tab shows both.
Never view, copy, forward, screenshot or save an image, and never send one to this app: \
it refuses every file. If a young person is in danger now, call 999."""

UNKNOWN = "I did not understand that. " + HELP

DM_HINT = (
    "I do not read messages here. Type `/ypsi report` to report a concern to your DSL, "
    "or `/ypsi help` for help."
)

DRAFT_KEPT = "Your unfinished report is saved. Type `/ypsi report` to carry on with it, or to start again."

FILE_REFUSED = (
    "ypsi-bot did not open, download or keep the file you just shared, and will not pass it on. "
    "The file is still in Slack until you delete it: hover over your message, choose *More actions* "
    "(⋮) then *Delete message*. Do not share images of young people with anyone, including the DSL. "
    "If a copy is on your phone or computer, tell your DSL about it and they will say what to do. "
    "To report a concern, type `/ypsi report` and describe what happened without the image."
)

FILE_REFUSED_DSL = (
    "A file was shared with ypsi-bot by {who} and refused: the bot did not open or keep it. The file "
    "stays in Slack until the sender (or a Slack admin) deletes it; they have been asked to delete "
    "it and to tell you about any copy on their device."
)

CHANNEL_FALLBACK = (
    "You are getting this by direct message because ypsi-bot cannot post safely in the DSL "
    "channel ({problem}). Please ask your Slack admin to fix it; `ypsi check-config` shows the problem."
)
# In the DSL channel when a direct message could not be delivered: never who it was for.
UNDELIVERED = (
    "A {what} about {reference} could not be delivered by direct message ({error}). "
    "Please check the case and follow it up in person."
)


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so user text in mrkdwn cannot ping, link or format as a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_text(error: ConversationError, table: ErrorTable = ERROR_TEXT) -> str:
    """The short user text for a known service error (CASE_ERROR_TEXT for the DSL's screens)."""
    return wording.error_text(error, table, UNEXPECTED)
