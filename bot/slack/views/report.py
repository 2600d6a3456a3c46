"""The report modal: one view per dialogue step, rendered generically from the step's fields.

choice → radio buttons (a select when there are more than 10 options), multi → checkboxes
(a multi-select above 10), int / ages / text / names → a plain text input, and for the DSL's
decisions date → datepicker, datetime → datetimepicker, user → users_select. Which screen a draft
shows is chosen by `conversations.dialogue.screens`; this module draws it, every view a pure
function of that screen. Nothing here accepts a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.ids import ActionId, CallbackId, step_callback
from bot.slack.ids import BlockId
from bot.slack.views.limits import (
    ACCESSIBILITY_LABEL,
    BUTTON_TEXT,
    HEADER_TEXT,
    OPTION_TEXT,
    SELECT_OPTIONS,
)
from bot.slack.views.text import escape
from bot.text_limits import clip
from bot.wording import ANSWER_SHOWN, OUT_OF_HOURS, REFER_NOW, SENSITIVE_HINT
from conversations.casefile.readable import Row
from conversations.dialogue.reports import DraftView
from conversations.dialogue.screens import (
    DiscardedScreen,
    ReviewScreen,
    SentScreen,
    StepScreen,
    opening_screen,
    screen_for,
)
from conversations.guidance.policy import Contact, Field, Guidance, Rule
from conversations.scheduling.calendar import LONDON

Block = dict[str, Any]
View = dict[str, Any]

TITLE = "Report a YPSI concern"
MAX_BUTTONS = 10  # Slack's limit for radio buttons and checkboxes
SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text
DISCARDED = "This report was discarded. Type /ypsi report to start a new one."
# "Start again" discards the draft: Slack asks before sending the click.
DISCARD_CONFIRM: dict[str, Any] = {
    "title": {"type": "plain_text", "text": "Discard your report?"},
    "text": {
        "type": "plain_text",
        "text": "Your unfinished report will be deleted and cannot be got back. Start a new one?",
    },
    "confirm": {"type": "plain_text", "text": "Discard and start again"},
    "deny": {"type": "plain_text", "text": "Keep my report"},
    "style": "danger",
}


def view_for(guidance: Guidance, draft: DraftView) -> View:
    """The view for where a draft is now: a step, the review, or the end."""
    match screen_for(guidance, draft):
        case StepScreen() as screen:
            return step_view(screen)
        case ReviewScreen() as screen:
            return review_view(screen)
        case SentScreen(reference=reference):
            return sent_view(reference)
        case DiscardedScreen():
            return notice_view(DISCARDED)


def opening_view(guidance: Guidance) -> View:
    """The first step before any draft exists (empty private_metadata): answering it creates one."""
    return step_view(opening_screen(guidance))


def header(text: str) -> Block:
    """A header block, its text cut to Slack's 150 characters."""
    return {"type": "header", "text": plain(clip(text, HEADER_TEXT))}


def plain(text: str) -> dict[str, Any]:
    """A plain_text object: nothing in it is interpreted (safe for anything a person typed)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str, *, verbatim: bool = False) -> dict[str, Any]:
    """A mrkdwn object: only for trusted text, or text passed through `escape`.

    `verbatim` where a person's text is shown: Slack then links no URL or channel name it
    finds there (the mentions the builders write, `<@U…>`, still work).
    """
    obj: dict[str, Any] = {"type": "mrkdwn", "text": text}
    if verbatim:
        obj["verbatim"] = True
    return obj


def modal(
    callback_id: str, draft_id: str, blocks: list[Block], submit: str | None, *, keeps_draft: bool = False
) -> View:
    """A modal carrying only the draft id in private_metadata.

    `keeps_draft` views ask Slack to tell us when they are closed, to say the draft is kept.
    """
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": draft_id,
        "title": plain(TITLE),
        "close": plain("Close"),
        "notify_on_close": keeps_draft,
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain(submit)
    return view


def step_view(screen: StepScreen) -> View:
    """The modal for one step: intro, one input block per field (prefilled), contacts, Back."""
    step, draft_id = screen.step, screen.draft_id
    blocks: list[Block] = [header(step.title)]
    if step.intro:
        blocks.append({"type": "section", "text": mrkdwn(step.intro)})
    for field in step.fields:
        options = screen.choices.get(field.key) or field.options
        blocks.append(input_block(field, options, screen.answers.get(field.key)))
    if screen.contacts:
        lines = contact_lines("Call now if needed", screen.contacts)
        blocks.append({"type": "section", "text": mrkdwn(lines)})
    if not screen.first:
        blocks.append(_navigation())
    # Closing is worth a "your report is saved" message only once there is a draft to keep.
    return modal(step_callback(step.key), draft_id, blocks, submit="Next", keeps_draft=bool(draft_id))


def review_view(screen: ReviewScreen) -> View:
    """The reporter's review: their answers (Back changes them) and the points the policy raises.

    The typology (experimental / aggravated) is the DSL's assessment: it is on the DSL's card and
    case, never shown to the reporter. Points of immediate referral are shown as what they are:
    the DSL will decide whether to refer now.
    """
    blocks: list[Block] = [
        {"type": "header", "text": plain("Check and send to the DSL")},
        {"type": "section", "text": mrkdwn("*Your answers.* To change any of them, press *Back*.")},
    ]
    for title, rows in screen.sections:
        blocks += _sections([f"*{escape(title)}*", *(_answer_line(r) for r in rows)])
    suggestion = screen.suggestion
    if suggestion.referral_points:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(f"*Points of immediate referral in the policy* ({REFER_NOW}):"),
            }
        )
        blocks += _points(suggestion.referral_points)
    if suggestion.points_to_consider:
        blocks.append({"type": "section", "text": mrkdwn("*Also for the DSL to consider:*")})
        blocks += _points(suggestion.points_to_consider)
    if suggestion.under_13:
        blocks.append({"type": "section", "text": mrkdwn("A young person under 13 is involved.")})
    blocks.append(
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    "The DSL decides what happens next. Sending alerts the DSL team privately; "
                    "your answers are never shown in a channel."
                )
            ],
        }
    )
    blocks.append(_navigation())
    return modal(CallbackId.REVIEW, screen.draft_id, blocks, submit="Send to the DSL", keeps_draft=True)


def _points(triggers: Sequence[Rule]) -> list[Block]:
    blocks: list[Block] = []
    for trigger in triggers:
        blocks.append({"type": "section", "text": mrkdwn(f"• *{escape(trigger.label)}*")})
        blocks += [_quote(src.sentence, src.source) for src in trigger.sources]
    return blocks


def _answer_line(row: Row) -> str:
    value = (
        row.value if len(row.value) <= ANSWER_SHOWN else row.value[:ANSWER_SHOWN] + "… (Back shows it all)"
    )
    return f"{escape(row.label)}: {escape(value)}"


def _sections(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few section blocks as Slack's text limit allows."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append({"type": "section", "text": mrkdwn(current)})
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append({"type": "section", "text": mrkdwn(current)})
    return blocks


def resume_view(draft_id: str, step_title: str) -> View:
    """Offered by /ypsi report when an unfinished report exists: carry on or start again."""
    blocks: list[Block] = [
        {
            "type": "section",
            "text": mrkdwn(
                f"You have an unfinished report (last step: *{escape(step_title)}*). "
                "Carry on with it, or discard it and start again?"
            ),
        },
        {
            "type": "actions",
            "block_id": BlockId.RESUME_CHOICE,
            "elements": [
                button("Carry on", ActionId.RESUME, draft_id, style="primary"),
                button(
                    "Start again", ActionId.START_AGAIN, draft_id, style="danger", confirm=DISCARD_CONFIRM
                ),
            ],
        },
    ]
    return modal(CallbackId.RESUME, draft_id, blocks, submit=None)


def sent_view(reference: str, call_now: Sequence[Contact] = ()) -> View:
    """The last view: the reference and what happens next (also sent as a direct message), and
    out of school hours whom to call now."""
    blocks: list[Block] = [
        {"type": "header", "text": plain("Sent to the DSL team")},
        {
            "type": "section",
            "text": mrkdwn(
                f"Your reference is *{escape(reference)}*. The DSL team has been alerted privately and "
                "will contact you. I have sent you this and help for the young person in a direct message."
            ),
        },
    ]
    blocks += out_of_hours_blocks(call_now)
    view = modal(CallbackId.SENT, "", blocks, submit=None)
    view["close"] = plain("Done")
    return view


def notice_view(text: str) -> View:
    """A modal that only says something (a report no longer available, an error)."""
    return modal(CallbackId.NOTICE, "", [{"type": "section", "text": mrkdwn(escape(text))}], submit=None)


def out_of_hours_blocks(call_now: Sequence[Contact]) -> list[Block]:
    """Out of school hours (when `call_now` is given): say so, and whom to call now."""
    if not call_now:
        return []
    return [
        {"type": "section", "text": mrkdwn(OUT_OF_HOURS)},
        {"type": "section", "text": mrkdwn(contact_lines("Whom to call now", call_now))},
    ]


def contact_lines(heading: str, contacts: Sequence[Contact]) -> str:
    """Contacts as mrkdwn lines: name, number or link, hours."""
    lines = [f"*{escape(heading)}*"]
    for c in contacts:
        link = f"<{c.url}|{escape(c.url.split('//')[-1].split('/')[0])}>" if c.url else ""
        ways = [w for w in (escape(c.phone) if c.phone else link, escape(c.email)) if w]
        hours = f" ({escape(c.hours)})" if c.hours else ""
        lines.append(f"• {escape(c.name)}: {', '.join(ways)}{hours}")
    return "\n".join(lines)


def input_block(field: Field, options: dict[str, str], value: Any) -> Block:
    """One input block for a field (block id = action id = field key), prefilled with `value`."""
    block: Block = {
        "type": "input",
        "block_id": field.key,
        "label": plain(field.label),
        "optional": field.optional,
        "element": ELEMENTS[field.type](field, options, value),
    }
    hint = " ".join(h for h in (field.hint, SENSITIVE_HINT if field.sensitive else "") if h)
    if hint:
        block["hint"] = plain(hint)
    return block


def _choice(field: Field, options: dict[str, str], value: Any) -> Block:
    buttons = len(options) <= MAX_BUTTONS
    kind = "radio_buttons" if buttons else "static_select"
    element: Block = {"type": kind, "action_id": field.key, "options": _options(options, buttons)}
    if kind == "static_select":
        element["placeholder"] = plain("Choose one")
    if value in options:
        element["initial_option"] = _option(value, options[value], buttons)
    return element


def _multi(field: Field, options: dict[str, str], value: Any) -> Block:
    boxes = len(options) <= MAX_BUTTONS
    kind = "checkboxes" if boxes else "multi_static_select"
    element: Block = {"type": kind, "action_id": field.key, "options": _options(options, boxes)}
    if kind == "multi_static_select":
        element["placeholder"] = plain("Choose any that apply")
    picked = [v for v in value or [] if v in options]
    if picked:
        element["initial_options"] = [_option(v, options[v], boxes) for v in picked]
    return element


def _text_input(field: Field, options: dict[str, str], value: Any) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": field.key, "multiline": field.multiline}
    if field.type == "text":
        element["max_length"] = field.max_length
    if value not in (None, "", []):
        element["initial_value"] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return element


def _date(field: Field, options: dict[str, str], value: Any) -> Block:
    element: Block = {"type": "datepicker", "action_id": field.key}
    if value:
        element["initial_date"] = str(value)
    return element


def _datetime(field: Field, options: dict[str, str], value: Any) -> Block:
    # Values are "YYYY-MM-DD HH:MM" school time; the picker wants Unix seconds.
    element: Block = {"type": "datetimepicker", "action_id": field.key}
    if value:
        moment = datetime.strptime(str(value), "%Y-%m-%d %H:%M").replace(tzinfo=LONDON)
        element["initial_date_time"] = int(moment.timestamp())
    return element


def _user(field: Field, options: dict[str, str], value: Any) -> Block:
    element: Block = {"type": "users_select", "action_id": field.key, "placeholder": plain("Choose a person")}
    if value:
        element["initial_user"] = str(value)
    return element


ELEMENTS = {
    "choice": _choice,
    "multi": _multi,
    "int": _text_input,
    "ages": _text_input,
    "text": _text_input,
    "names": _text_input,
    "date": _date,
    "datetime": _datetime,
    "user": _user,
}


def _options(options: dict[str, str], described: bool = False) -> list[Block]:
    return [_option(key, label, described) for key, label in list(options.items())[:SELECT_OPTIONS]]


def _option(key: str, label: str, described: bool = False) -> Block:
    """One option; a label too long for Slack continues in the description (radio buttons and
    checkboxes have one) from its last " and " or space that fits, so the whole sentence shows."""
    if len(label) <= OPTION_TEXT or not described:
        return {"text": plain(clip(label, OPTION_TEXT)), "value": key}
    cut = label.rfind(" and ", 0, OPTION_TEXT)
    cut = cut if cut > 0 else label.rfind(" ", 0, OPTION_TEXT)
    return {
        "text": plain(label[:cut]),
        "description": plain(clip(label[cut + 1 :], OPTION_TEXT)),
        "value": key,
    }


def _quote(sentence: str, source: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(f"“{escape(sentence)}” ({escape(source)})")]}


def _navigation() -> Block:
    return {
        "type": "actions",
        "block_id": BlockId.NAVIGATION,
        "elements": [button("Back", ActionId.BACK, "back")],
    }


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    *,
    label: str = "",
    confirm: Block | None = None,
) -> Block:
    """A button; `label` tells a screen reader which of several alike it is ("Open case …"),
    `confirm` asks before a destructive action."""
    button: Block = {
        "type": "button",
        "text": plain(clip(text, BUTTON_TEXT)),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if label:
        button["accessibility_label"] = clip(label, ACCESSIBILITY_LABEL)
    if confirm:
        button["confirm"] = confirm
    return button
