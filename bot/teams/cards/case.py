"""The DSL's case screens: the case dialog, one dialog per decision, "not yet", and the case list.

Pure functions of the services' data (`casework.CaseDetail`, `DecisionForm`, `OverviewLine`),
with the content of Slack's case modal. Dialog cards carry only the case reference
(and the decision key) in their buttons' data; the services re-authorise every click and
submission. What people typed is shown in TextRuns (never markdown). The case dialog is shown
only to the case's own safeguarding team; the case list carries no pupil details and no free
text. A card holds at most `CARD_BYTES`: the summary, what is due and the buttons come first, so
only the record's tail is cut, with a line saying the export has all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.ids import USER_ID, ActionId, CallbackId, decide_action
from bot.teams.cards.dialog import Dialog
from bot.teams.cards.elements import (
    Card,
    Element,
    Run,
    action_sets,
    card,
    container,
    error,
    facts,
    heading,
    opener,
    rich,
    submit,
    text,
)
from bot.teams.cards.limits import CARD_BYTES, CHOICES, fit, size
from bot.teams.cards.report import contact_lines, inputs, quote
from bot.teams.cards.text import EXPORT_HINT, MORE_CASES, escape
from bot.teams.ids import DataKey
from bot.wording import CHECK_ANSWERS, STAFF_SAW_IMAGE, TEXT_SHOWN, TIMELINE_SHOWN
from conversations.casefile.casework import (
    Blocked,
    CaseDetail,
    DecisionForm,
    DeletionView,
    OverviewLine,
    RecordedDecision,
    TimelineEntry,
)
from conversations.casefile.readable import USER, Row, day, when
from conversations.dialogue.routing import STATUS_LABELS
from conversations.guidance.policy import Contact
from conversations.scheduling.reminder_actions import FOLLOW_UP
from conversations.scheduling.reminders import policy

LIST_LIMIT = 40  # case lines in one card (as Slack's); the card's size may allow fewer
UNNAMED = "a member of staff"
PEOPLE_SHOWN = (CHOICES, 60, 40, 25, 15, 10)  # people per picker, tried in turn until the form fits
CUT = "The record is too long to show in full here: " + EXPORT_HINT
Who = Callable[[str | None], str]
DELETION_CHECK = (
    "**Deletion check:** ask the member of staff following it up to confirm each young person's deletion."
)


def case_view(detail: CaseDetail, *, notice: str = "") -> Dialog:
    """The full case for its safeguarding team, with a button for each decision possible now."""
    who = named(detail)
    data = {DataKey.CALLBACK: CallbackId.CASE, DataKey.CASE: detail.reference}
    body: list[Element] = [heading(f"Case {escape(detail.reference)}")]
    if notice:
        body.append(_notice(notice))
    body.append(facts(_summary(detail, who)))
    body += _flags(detail)
    body += _due(detail)
    if detail.missing_for_close and not detail.closed_at:
        missing = "; ".join(detail.missing_for_close)
        body.append(rich(Run("Before it can close: ", bold=True), f"{missing}.", subtle=True))
    body += _decision_buttons(detail, data)
    body += _deletion_check(detail, data)
    body += _contacts("Contacts at hand", detail.contacts)
    body += _suggestion(detail)
    body += _record(detail, who)
    return Dialog(f"Case {detail.reference}", card(fit(body, CARD_BYTES - 256, text(CUT, subtle=True))))


def decision_view(form: DecisionForm, *, errors: Mapping[str, str] | None = None) -> Dialog:
    """One decision as a dialog: its policy sentence, its fields prefilled with their defaults.

    `errors` (field key → message) are the services' validation messages for the last answer.
    A form with several people pickers for a large staff would pass Teams' size limit: the
    pickers then list fewer people (the service lists the likeliest first; the prefilled one
    always stays).
    """
    data = {
        DataKey.CALLBACK: CallbackId.DECISION,
        DataKey.CASE: form.reference,
        DataKey.DECISION: form.decision.key,
    }
    actions = [
        submit("Record", {**data, DataKey.ACTION: ActionId.SUBMIT}, style="positive"),
        _back(form.reference),
    ]
    for most in PEOPLE_SHOWN:
        decision_card = card(_decision_body(form, errors or {}, most), actions, fallback=form.decision.title)
        if size(decision_card) <= CARD_BYTES:
            break
    return Dialog(f"Case {form.reference}", decision_card)


def _decision_body(form: DecisionForm, errors: Mapping[str, str], most: int) -> list[Element]:
    decision = form.decision
    body: list[Element] = [heading(escape(decision.title))]
    if errors:
        body.append(error(CHECK_ANSWERS))
    if decision.intro:
        body.append(text(escape(decision.intro)))
    body += _contacts("Contacts for this step", form.contacts)
    for field in decision.fields:
        options = form.choices.get(field.key) or field.options
        value = form.defaults.get(field.key)
        if field.type == "user":
            options = _likeliest(options, value, most)
        body += inputs(field, options, value, errors.get(field.key))
    return body


def _likeliest(people: dict[str, str], value: str | None, most: int) -> dict[str, str]:
    shown = dict(list(people.items())[:most])
    if value in people:
        shown[value] = people[value]
    return shown


def not_yet_view(reference: str, title: str, message: str, missing: Sequence[str]) -> Dialog:
    """A decision that cannot be recorded now, and what must be recorded first."""
    body: list[Element] = [heading(escape(title)), rich(message)]
    if missing:
        body.append(text("**Still missing:**"))
        body += [rich(f"• {m[:1].upper() + m[1:]}") for m in missing]
    return Dialog(f"Case {reference}", card(body, [_back(reference)], fallback=title))


def case_notice(message: str) -> Dialog:
    """A dialog that only says something (a refusal): no case content at all."""
    close = submit(
        "Close", {DataKey.CALLBACK: CallbackId.NOTICE, DataKey.ACTION: ActionId.SUBMIT}, validate=False
    )
    return Dialog("ypsi-bot", card([rich(message)], [close], fallback=message))


def case_lines(lines: Sequence[OverviewLine]) -> list[Element]:
    """Open cases, overdue first, each with what is due next and a button to open it."""
    elements = [_case_line(line) for line in lines[:LIST_LIMIT]]
    if len(lines) > LIST_LIMIT:
        elements.append(text(escape(MORE_CASES.format(count=len(lines) - LIST_LIMIT)), subtle=True))
    return elements


def cases_message(lines: Sequence[OverviewLine], empty: str) -> Card:
    """The private answer to `cases`: the list, or `empty` when there is none."""
    if not lines:
        return card([rich(empty)], fallback=empty)
    body = [text(f"**Open cases ({len(lines)})**, overdue first"), *case_lines(lines)]
    return card(fit_list(body, len(lines)), fallback=f"Open cases: {len(lines)}")


def fit_list(body: list[Element], cases: int) -> list[Element]:
    """A card's body listing `cases` open cases within the card's size: the last lines give way
    to one saying how many are not shown."""
    shown = fit(body, CARD_BYTES - 1024, text(MORE_CASES, subtle=True))
    if len(shown) < len(body):
        left = cases - sum(1 for e in shown if e.get("type") == "Container")
        shown[-1] = text(escape(MORE_CASES.format(count=left)), subtle=True)
    return shown


# --- parts ----------------------------------------------------------------------------------


def _notice(message: str) -> Element:
    block = rich(f"✅ {message}")
    return container([block], style="good")


def _summary(detail: CaseDetail, who: Who) -> list[tuple[str, str]]:
    return [
        ("Academy", detail.academy_name),
        ("Status", detail.status_label),
        ("Urgency", "Urgent" if detail.urgent else "Normal"),
        ("Owner", who(detail.owner_id) if detail.owner_id else "Nobody yet"),
        ("Reported by", who(detail.reporter_id)),
        ("Reported", when(detail.reported_at)),
    ]


def _flags(detail: CaseDetail) -> list[Element]:
    flags = [
        line
        for flag, line in (
            (detail.under_13, "A young person under 13 is involved"),
            (detail.immediate_referral, "Immediate referral indicated by the policy"),
            (detail.staff_saw_image, STAFF_SAW_IMAGE),
        )
        if flag
    ]
    return [text(f"**Flags:** {escape(line)}", attention=True) for line in flags]


def _due(detail: CaseDetail) -> list[Element]:
    if not detail.due:
        return []
    elements = [text("**What is due**")]
    for item in detail.due:
        if item.overdue:
            elements.append(text(f"⚠️ **Overdue:** {escape(item.text)}", attention=True))
        else:
            elements.append(rich(f"• {item.text}"))
    return elements


def _decision_buttons(detail: CaseDetail, data: dict[str, Any]) -> list[Element]:
    elements: list[Element] = []
    if detail.available:
        elements.append(text("**Record a decision**"))
        buttons = [
            submit(
                d.title,
                {**data, DataKey.ACTION: decide_action(d.key)},
                style="positive" if d.key == "acknowledged" else "",
                validate=False,
            )
            for d in detail.available
        ]
        elements += action_sets(buttons, "ypsi_case_decisions")
    if detail.blocked:
        elements += [_blocked(b) for b in detail.blocked]
        buttons = [
            submit(b.decision.title, {**data, DataKey.ACTION: decide_action(b.decision.key)}, validate=False)
            for b in detail.blocked
        ]
        elements += action_sets(buttons, "ypsi_case_blocked")
    return elements


def _blocked(blocked: Blocked) -> Element:
    missing = "; ".join(blocked.missing)
    return rich(Run(blocked.decision.title, bold=True), f": not yet. Record first: {missing}.")


def _deletion_check(detail: CaseDetail, data: dict[str, Any]) -> list[Element]:
    """While deletions are awaited, the DSL can ask the member of staff following them up
    (the one recorded, by default the reporter; the DSL may pick someone else on the case)."""
    waiting = [d for d in detail.deletions if d.status == "pending"]
    if not waiting or detail.state not in policy().kinds[FOLLOW_UP].states:
        return []
    chosen = waiting[0].follow_up_user or detail.reporter_id
    people = {pid: p.name for pid, p in detail.people.items() if p.name and p.role != ""}
    people.setdefault(chosen, named(detail)(chosen))
    picker: Element = {
        "type": "Input.ChoiceSet",
        "id": ActionId.DELETION_CHECK_TO,
        "label": "Who",
        "style": "compact",
        "choices": [{"title": name, "value": pid} for pid, name in list(people.items())[:CHOICES]],
        "value": chosen,
        "isRequired": True,
        "errorMessage": "Please choose who to ask.",
    }
    send = submit("Send deletion check", {**data, DataKey.ACTION: ActionId.SEND_DELETION_CHECK})
    return [
        text(DELETION_CHECK),
        picker,
        {"type": "ActionSet", "id": "ypsi_case_deletion_check", "actions": [send]},
    ]


def _contacts(title: str, contacts: Sequence[Contact]) -> list[Element]:
    return [text(contact_lines(title, contacts))] if contacts else []


def _suggestion(detail: CaseDetail) -> list[Element]:
    suggestion = detail.suggestion
    category = suggestion.category
    confirmed = detail.confirmed_category.label if detail.confirmed_category else "not confirmed yet"
    elements: list[Element] = [
        {**text(f"**Suggested category:** {escape(category.label)}"), "separator": True},
        text(f"**Confirmed category:** {escape(confirmed)}"),
        *(quote(s.sentence, s.source) for s in category.sources),
    ]
    for group in suggestion.ruled_out:
        elements.append(text(f"**Not {escape(group.label)}**, which the policy describes as:"))
        elements.append(quote(group.source.sentence, group.source.source))
    if suggestion.triggers:
        elements.append(text("**Referral triggers the policy suggests:**"))
    for trigger in suggestion.triggers:
        elements.append(text(f"• **{escape(trigger.label)}**"))
        elements += [quote(s.sentence, s.source) for s in trigger.sources]
    elements.append(text("The policy suggests; the DSL decides.", subtle=True))
    return elements


def _record(detail: CaseDetail, who: Who) -> list[Element]:
    elements: list[Element] = [{**heading("The report", size="Medium"), "separator": True}]
    for title, rows in detail.answer_sections:
        elements.append(rich(Run(title, bold=True)))
        elements += [_row(r, who) for r in rows]
    if detail.decisions:
        elements.append(heading("Decisions recorded", size="Medium"))
        elements += _decisions(detail.decisions, who)
    if detail.deletions:
        elements.append(heading("Deletion", size="Medium"))
        elements += [_deletion(d, who) for d in detail.deletions]
    elements.append(heading("Timeline", size="Medium"))
    earlier = detail.timeline[:-TIMELINE_SHOWN]
    if earlier:
        elements.append(text(f"{len(earlier)} earlier events are not shown: {EXPORT_HINT}", subtle=True))
    # Newest first: when the card is cut for size, the oldest events shown give way.
    elements += [_timeline(e, who) for e in reversed(detail.timeline[-TIMELINE_SHOWN:])]
    return elements


def _decisions(decisions: Sequence[RecordedDecision], who: Who) -> list[Element]:
    elements: list[Element] = []
    for d in decisions:
        elements.append(
            rich(Run(d.title, bold=True), f": {when(d.at)}, {who(d.by)}{_moved(d.from_state, d.to_state)}")
        )
        elements += [_row(r, who, indent="   ") for r in d.rows]
    return elements


def _deletion(d: DeletionView, who: Who) -> Element:
    confirmed = f", confirmed {when(d.confirmed_at)} by {who(d.confirmed_by)}" if d.confirmed_at else ""
    return rich(f"• {d.pseudonym}: deadline {day(d.deadline)}, {d.status}{confirmed}")


def _timeline(e: TimelineEntry, who: Who) -> Element:
    reason = f": {_shown(e.reason)}" if e.reason else ""
    return rich(f"{when(e.at)} · {e.label}{reason} · {who(e.actor_id)}{_moved(e.from_state, e.to_state)}")


def _moved(source: str | None, dest: str | None) -> str:
    """A change of status in words, or nothing when the status stayed the same."""
    if not dest or source == dest:
        return ""
    before = f"{STATUS_LABELS[source]} → " if source else ""
    return f" ({before}{STATUS_LABELS[dest]})"


def _row(row: Row, who: Who, indent: str = "") -> Element:
    value = who(row.value) if row.kind == USER else _shown(row.value)
    return rich(Run(f"{indent}{row.label}: ", bold=True), value)


def _shown(value: str) -> str:
    return value if len(value) <= TEXT_SHOWN else value[:TEXT_SHOWN] + "… (the export has it all)"


def named(detail: CaseDetail) -> Who:
    """How the case shows a person: name and role (plain text: shown in TextRuns)."""

    def who(user_id: str | None) -> str:
        if not user_id:
            return ""
        found = detail.person(user_id)
        shown = found.name or person(user_id)
        return f"{shown} ({found.role})" if found.role else shown

    return who


def person(user_id: str | None) -> str:
    """A person without a known name: never a raw Slack or Teams id; the bot or the CLI by name."""
    if not user_id:
        return ""
    if user_id.startswith("teams:") or USER_ID.match(user_id):
        return UNNAMED
    return user_id


def _back(reference: str) -> Element:
    data = {DataKey.CALLBACK: CallbackId.CASE, DataKey.CASE: reference, DataKey.ACTION: ActionId.BACK_TO_CASE}
    return submit("Back to the case", data, validate=False)


def _case_line(line: OverviewLine) -> Element:
    # No owner here: the line has the owner's id, not a name (the case shows who it is).
    urgent = " · Urgent" if line.urgent else ""
    due = [Run("⚠️ Overdue: ", bold=True), line.next.text] if line.overdue else ["Next: ", line.next.text]
    data = {DataKey.ACTION: ActionId.OPEN_CASE, DataKey.VALUE: line.reference, DataKey.CASE: line.reference}
    return container(
        [
            rich(Run(line.reference, bold=True), f" · {line.academy_name} · {line.status_label}{urgent}"),
            rich(*due),
            {"type": "ActionSet", "actions": [opener(f"Open case {line.reference}", data)]},
        ],
        separator=True,
    )
