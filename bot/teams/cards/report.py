"""The report dialog: one card per dialogue step, rendered generically from the step's fields.

The same steps, wording (`bot.wording`) and policy sentences as Slack's report modal, as
Adaptive Cards shown in a Teams dialog. choice → radio buttons (a dropdown above 10 options),
multi → checkboxes (a multi-select dropdown above 10), int / ages / text / names → a text input,
and for the DSL's decisions date → a date input, datetime → a date and a time input, user → a
dropdown of the people the service offers. Required inputs are checked by Teams before sending
(`isRequired`, `errorMessage`); the services' own checks come back as `errors`, shown in red
under each input. Which screen a draft shows is chosen by `conversations.dialogue.screens`; this
module draws it, every card a pure function of that screen. Nothing here accepts a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.ids import ActionId, CallbackId, step_callback
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.elements import (
    Element,
    Run,
    card,
    confirm,
    error,
    heading,
    rich,
    submit,
    text,
)
from bot.teams.cards.limits import CARD_BYTES, CHOICES, EXPANDED_CHOICES, fit, size
from bot.teams.cards.text import DISCARDED, escape
from bot.teams.ids import DataKey, time_input
from bot.wording import ANSWER_SHOWN, CHECK_ANSWERS, OUT_OF_HOURS, REFER_NOW, SENSITIVE_HINT
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

TITLE = "Report a YPSI concern"
CUT = "Your answers are too long to show in full here: Back shows each step as you left it."


def view_for(guidance: Guidance, draft: DraftView) -> Dialog:
    """The dialog for where a draft is now: a step, the review, or the end."""
    match screen_for(guidance, draft):
        case StepScreen() as screen:
            return step_view(screen)
        case ReviewScreen() as screen:
            return review_view(screen)
        case SentScreen(reference=reference):
            return sent_view(reference)
        case DiscardedScreen():
            return notice_view(DISCARDED)


def opening_view(guidance: Guidance) -> Dialog:
    """The first step before any draft exists (no draft id): answering it creates one."""
    return step_view(opening_screen(guidance))


def step_view(screen: StepScreen, *, errors: Mapping[str, str] | None = None) -> Dialog:
    """The card for one step: intro, the inputs (prefilled), contacts, Next and Back.

    `errors` (field key → message) are the services' validation messages for the last answer.
    """
    step = screen.step
    errors = errors or {}
    body: list[Element] = [heading(step.title)]
    if errors:
        body.append(error(CHECK_ANSWERS))
    if step.intro:
        body.append(text(step.intro))
    for field in step.fields:
        options = screen.choices.get(field.key) or field.options
        body += inputs(field, options, screen.answers.get(field.key), errors.get(field.key))
    if screen.contacts:
        body.append(text(contact_lines("Call now if needed", screen.contacts)))
    data = {DataKey.CALLBACK: step_callback(step.key), DataKey.DRAFT: screen.draft_id}
    actions = [submit("Next", {**data, DataKey.ACTION: ActionId.SUBMIT}, style="positive")]
    if not screen.first:
        actions.append(submit("Back", {**data, DataKey.ACTION: ActionId.BACK}, validate=False))
    return Dialog(TITLE, card(body, actions, fallback=step.title))


def review_view(screen: ReviewScreen) -> Dialog:
    """The reporter's review: their answers (Back changes them) and the points the policy raises.

    The typology (experimental / aggravated) is the DSL's assessment: it is on the DSL's card and
    case, never shown to the reporter. Points of immediate referral are shown as what they are:
    the DSL will decide whether to refer now.
    """
    head: list[Element] = [
        heading("Check and send to the DSL"),
        text("*Your answers.* To change any of them, press *Back*."),
    ]
    answers: list[Element] = []
    for title, rows in screen.sections:
        answers.append(heading(escape(title), size="Medium"))
        answers += [_answer_line(row) for row in rows]
    suggestion = screen.suggestion
    tail: list[Element] = []
    if suggestion.referral_points:
        tail.append(text(f"*Points of immediate referral in the policy* ({REFER_NOW}):"))
        tail += points(suggestion.referral_points)
    if suggestion.points_to_consider:
        tail.append(text("*Also for the DSL to consider:*"))
        tail += points(suggestion.points_to_consider)
    if suggestion.under_13:
        tail.append(text("A young person under 13 is involved."))
    tail.append(
        text(
            "The DSL decides what happens next. Sending alerts the DSL team privately; "
            "your answers are never shown in a channel.",
            subtle=True,
        )
    )
    data = {DataKey.CALLBACK: CallbackId.REVIEW, DataKey.DRAFT: screen.draft_id}
    actions = [
        submit("Send to the DSL", {**data, DataKey.ACTION: ActionId.SUBMIT}, style="positive"),
        submit("Back", {**data, DataKey.ACTION: ActionId.BACK}, validate=False),
    ]
    # The policy's points and the send button always show; only the answers' tail may be cut.
    room = CARD_BYTES - size(card([*head, *tail], actions)) - 64
    body = [*head, *fit(answers, room, text(CUT, subtle=True)), *tail]
    return Dialog(TITLE, card(body, actions, fallback="Check and send to the DSL"))


def points(triggers: Sequence[Rule]) -> list[Element]:
    """Each point the policy raises, with the policy's own sentences under it."""
    elements: list[Element] = []
    for trigger in triggers:
        elements.append(text(f"• **{escape(trigger.label)}**"))
        elements += [quote(src.sentence, src.source) for src in trigger.sources]
    return elements


def quote(sentence: str, source: str) -> Element:
    """A sentence of the policy and where it is from."""
    return text(f"“{escape(sentence)}” ({escape(source)})", subtle=True, small=True)


def _answer_line(row: Row) -> Element:
    value = (
        row.value if len(row.value) <= ANSWER_SHOWN else row.value[:ANSWER_SHOWN] + "… (Back shows it all)"
    )
    return rich(Run(f"{row.label}: ", bold=True), Run(value))


def resume_view(draft_id: str, step_title: str) -> Dialog:
    """Offered by `report` when an unfinished report exists: carry on or start again."""
    data = {DataKey.CALLBACK: CallbackId.RESUME, DataKey.DRAFT: draft_id}
    carry_on = submit("Carry on", {**data, DataKey.ACTION: ActionId.RESUME}, style="positive", validate=False)
    start_again = confirm(
        "Start again",
        "**Discard your report?** Your unfinished report will be deleted and cannot be got back. "
        "Start a new one?",
        submit(
            "Discard and start again",
            {**data, DataKey.ACTION: ActionId.START_AGAIN},
            style="destructive",
            validate=False,
        ),
        submit("Keep my report", {**data, DataKey.ACTION: ActionId.RESUME}, validate=False),
    )
    body = [
        rich(
            "You have an unfinished report (last step: ",
            Run(step_title, bold=True),
            "). Carry on with it, or discard it and start again?",
        )
    ]
    return Dialog(TITLE, card(body, [carry_on, start_again], fallback="You have an unfinished report."))


def sent_view(reference: str, call_now: Sequence[Contact] = ()) -> Dialog:
    """The last card: the reference and what happens next (also sent as a direct message), and
    out of school hours whom to call now."""
    body: list[Element] = [
        heading("Sent to the DSL team"),
        rich(
            "Your reference is ",
            Run(reference, bold=True),
            ". The DSL team has been alerted privately and will contact you. "
            "I have sent you this and help for the young person in a direct message.",
        ),
        *out_of_hours(call_now),
    ]
    done = submit(
        "Done", {DataKey.CALLBACK: CallbackId.SENT, DataKey.ACTION: ActionId.SUBMIT}, validate=False
    )
    return Dialog(TITLE, card(body, [done], fallback=f"Sent to the DSL team: {reference}"))


def notice_view(message: str) -> Dialog:
    """A dialog that only says something (a report no longer available, an error)."""
    close = submit(
        "Close", {DataKey.CALLBACK: CallbackId.NOTICE, DataKey.ACTION: ActionId.SUBMIT}, validate=False
    )
    return Dialog(TITLE, card([rich(message)], [close], fallback=message))


def out_of_hours(call_now: Sequence[Contact]) -> list[Element]:
    """Out of school hours (when `call_now` is given): say so, and whom to call now."""
    if not call_now:
        return []
    return [text(OUT_OF_HOURS, attention=True), text(contact_lines("Whom to call now", call_now))]


def contact_lines(heading_text: str, contacts: Sequence[Contact]) -> str:
    """Contacts as markdown lines: name, number or link, hours."""
    lines = [f"**{escape(heading_text)}**"]
    for c in contacts:
        link = f"[{escape(c.url.split('//')[-1].split('/')[0])}]({c.url})" if c.url else ""
        ways = [w for w in (escape(c.phone) if c.phone else link, escape(c.email)) if w]
        hours = f" ({escape(c.hours)})" if c.hours else ""
        lines.append(f"- {escape(c.name)}: {', '.join(ways)}{hours}")
    return "\n".join(lines)


# --- inputs ---------------------------------------------------------------------------------


def inputs(field: Field, options: dict[str, str], value: Any, problem: str | None = None) -> list[Element]:
    """The input(s) for a field (id = field key), prefilled with `value`; its hint and the
    server's `problem` with the last answer under it."""
    elements = ELEMENTS[field.type](field, options, value)
    hint = " ".join(h for h in (field.hint, SENSITIVE_HINT if field.sensitive else "") if h)
    if hint:
        elements.append(text(hint, subtle=True, small=True))
    if problem:
        elements.append(error(problem, field.key))
    return elements


def _base(field: Field, kind: str, message: str) -> Element:
    element: Element = {"type": kind, "id": field.key, "label": field.label}
    if not field.optional:
        element["isRequired"] = True
        element["errorMessage"] = message
    return element


def _choice(field: Field, options: dict[str, str], value: Any) -> list[Element]:
    element = _choices(_base(field, "Input.ChoiceSet", "Please choose one."), options)
    if value in options:
        element["value"] = str(value)
    return [element]


def _multi(field: Field, options: dict[str, str], value: Any) -> list[Element]:
    element = _choices(_base(field, "Input.ChoiceSet", "Please choose at least one."), options)
    element["isMultiSelect"] = True
    picked = [v for v in value or [] if v in options]
    if picked:
        element["value"] = ",".join(picked)
    return [element]


def _choices(element: Element, options: dict[str, str]) -> Element:
    shown = list(options.items())[:CHOICES]
    element["choices"] = [{"title": label, "value": key} for key, label in shown]
    element["style"] = "expanded" if len(shown) <= EXPANDED_CHOICES else "compact"
    element["wrap"] = True
    if element["style"] == "compact":
        element["placeholder"] = "Choose"
    return element


def _text_input(field: Field, options: dict[str, str], value: Any) -> list[Element]:
    element = _base(field, "Input.Text", "Please answer this question.")
    if field.multiline:
        element["isMultiline"] = True
    if field.type == "text":
        element["maxLength"] = field.max_length
    if value not in (None, "", []):
        element["value"] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return [element]


def _date(field: Field, options: dict[str, str], value: Any) -> list[Element]:
    element = _base(field, "Input.Date", "Please choose a date.")
    if value:
        element["value"] = str(value)[:10]
    return [element]


def _datetime(field: Field, options: dict[str, str], value: Any) -> list[Element]:
    # Values are "YYYY-MM-DD HH:MM" school time: a date input, and the time beside it.
    day = _base(field, "Input.Date", "Please choose a date.")
    time: Element = {"type": "Input.Time", "id": time_input(field.key), "label": "Time (UK)"}
    if not field.optional:
        time |= {"isRequired": True, "errorMessage": "Please choose a time."}
    if value:
        day["value"], _, clock = str(value).partition(" ")
        if clock:
            time["value"] = clock[:5]
    return [day, time]


def _user(field: Field, options: dict[str, str], value: Any) -> list[Element]:
    # No people picker in a bot's card without Graph: the people the service offers (the
    # academy's staff from academies.toml), the one chosen already kept when not among them.
    people = dict(options)
    if value and str(value) not in people:
        people = {str(value): "The person chosen already", **people}
    element = _base(field, "Input.ChoiceSet", "Please choose a member of staff.")
    element["choices"] = [{"title": name, "value": key} for key, name in list(people.items())[:CHOICES]]
    element["style"] = "compact"
    element["placeholder"] = "Choose a person"
    if value:
        element["value"] = str(value)
    if not people:
        return [{"type": "TextBlock", "text": f"{escape(field.label)}: nobody to choose from.", "wrap": True}]
    return [element]


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
