"""The DSL's case screens: the case modal, one modal per decision, "not yet", and the case list.

Pure functions of the services' data (`casework.CaseDetail`, `DecisionForm`, `OverviewLine`).
Modals carry only `{"case": reference}` (and `"decision": key`) in `private_metadata`; the
services re-authorise every click and submission. Everything a person typed is escaped. The
case modal is shown only to the case's own safeguarding team; the case list carries no pupil
details and no free text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.ids import USER_ID, ActionId, CallbackId, decide_action
from bot.slack.ids import BlockId
from bot.slack.views.limits import ACTIONS_ELEMENTS, SECTION_TEXT
from bot.slack.views.report import Block, View, button, contact_lines, header, input_block, mrkdwn, plain
from bot.slack.views.text import escape
from bot.text_limits import chunks, pack
from bot.wording import STAFF_SAW_IMAGE, TEXT_SHOWN, TIMELINE_SHOWN
from conversations.casefile.casework import (
    Blocked,
    CaseDetail,
    DecisionForm,
    Due,
    OverviewLine,
    RecordedDecision,
    TimelineEntry,
)
from conversations.casefile.readable import USER, Row, day, when
from conversations.dialogue.routing import STATUS_LABELS
from conversations.guidance.policy import Contact
from conversations.scheduling.reminder_actions import FOLLOW_UP
from conversations.scheduling.reminders import policy

LIST_LIMIT = 40  # case lines in one message or Home view (50 and 100 blocks are Slack's limits)
MODAL_BLOCKS = 100  # Slack's limit of blocks in a modal
Who = Callable[[str | None], str]


def metadata(reference: str, decision: str = "") -> str:
    """The private_metadata of a case or decision modal: the reference and decision key only."""
    data = {"case": reference, **({"decision": decision} if decision else {})}
    return json.dumps(data, separators=(",", ":"))


def case_view(detail: CaseDetail, *, notice: str = "") -> View:
    """The full case for its safeguarding team, with a button for each decision possible now."""
    who = named(detail)
    blocks: list[Block] = [{"type": "header", "text": plain(f"Case {detail.reference}")}]
    if notice:
        blocks.append({"type": "context", "elements": [mrkdwn(f":white_check_mark: {escape(notice)}")]})
    blocks.append({"type": "section", "fields": _summary_fields(detail, who)})
    if detail.due:
        blocks.append({"type": "section", "text": mrkdwn(_due_text(detail.due), verbatim=True)})
    if detail.missing_for_close and not detail.closed_at:
        missing = "; ".join(detail.missing_for_close)
        blocks.append({"type": "context", "elements": [mrkdwn(f"*Before it can close:* {escape(missing)}.")]})
    blocks += _decision_buttons(detail)
    blocks += _deletion_check(detail)
    blocks += _contacts("Contacts at hand", detail.contacts)
    blocks += _suggestion_blocks(detail)
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": plain("The report")})
    for title, rows in detail.answer_sections:
        blocks += _sections([f"*{escape(title)}*", *(_row(r, who) for r in rows)])
    if detail.decisions:
        blocks.append({"type": "header", "text": plain("Decisions recorded")})
        blocks += _sections(_decision_lines(detail.decisions, who))
    if detail.deletions:
        blocks.append({"type": "header", "text": plain("Deletion")})
        blocks += _sections([_deletion_line(d, who) for d in detail.deletions])
    blocks.append({"type": "header", "text": plain("Timeline")})
    earlier = detail.timeline[:-TIMELINE_SHOWN]
    if earlier:
        blocks.append(_context(f"{len(earlier)} earlier events are in the export (`ypsi case export`)."))
    blocks += _sections([_timeline_line(e, who) for e in detail.timeline[-TIMELINE_SHOWN:]])
    return _modal(CallbackId.CASE, metadata(detail.reference), detail.reference, _fit(blocks))


def decision_view(form: DecisionForm) -> View:
    """One decision as a modal: its policy sentence, its fields prefilled with their defaults."""
    decision = form.decision
    blocks: list[Block] = [header(decision.title)]
    if decision.intro:
        blocks.append({"type": "section", "text": mrkdwn(escape(decision.intro))})
    blocks += _contacts("Contacts for this step", form.contacts)
    for field in decision.fields:
        options = form.choices.get(field.key) or field.options
        blocks.append(input_block(field, options, form.defaults.get(field.key)))
    blocks.append(_back(form.reference))
    view = _modal(CallbackId.DECISION, metadata(form.reference, decision.key), form.reference, blocks)
    view["submit"] = plain("Record")
    view["close"] = plain("Cancel")
    return view


def not_yet_view(reference: str, title: str, message: str, missing: Sequence[str]) -> View:
    """A decision that cannot be recorded now, and what must be recorded first."""
    blocks: list[Block] = [
        header(title),
        {"type": "section", "text": mrkdwn(escape(message))},
    ]
    if missing:
        lines = "\n".join(f"• {escape(m[:1].upper() + m[1:])}" for m in missing)
        blocks.append({"type": "section", "text": mrkdwn(f"*Still missing:*\n{lines}")})
    blocks.append(_back(reference))
    return _modal(CallbackId.NOTICE, metadata(reference), reference, blocks)


def case_notice(text: str) -> View:
    """A modal that only says something (a refusal): no case content at all."""
    return _modal(CallbackId.NOTICE, "", "ypsi-bot", [{"type": "section", "text": mrkdwn(escape(text))}])


def case_lines(lines: Sequence[OverviewLine]) -> list[Block]:
    """Open cases, overdue first, each with what is due next and a button to open it."""
    blocks = [_case_line(line) for line in lines[:LIST_LIMIT]]
    if len(lines) > LIST_LIMIT:
        more = f"{len(lines) - LIST_LIMIT} more open cases are not shown: open them with `/ypsi case REF`."
        blocks.append({"type": "context", "elements": [mrkdwn(more)]})
    return blocks


def cases_message(lines: Sequence[OverviewLine], empty: str) -> dict[str, Any]:
    """The private answer to `/ypsi cases`."""
    if not lines:
        return {"text": empty}
    heading = f"*Open cases ({len(lines)})*, overdue first"
    return {
        "text": f"Open cases: {len(lines)}",
        "blocks": [{"type": "section", "text": mrkdwn(heading)}, *case_lines(lines)],
    }


# --- parts ----------------------------------------------------------------------------------


def _modal(callback_id: str, private_metadata: str, title: str, blocks: list[Block]) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "title": plain(title[:24]),
        "close": plain("Close"),
        "blocks": blocks,
    }


def _summary_fields(detail: CaseDetail, who: Who) -> list[dict[str, Any]]:
    pairs = [
        ("Academy", escape(detail.academy_name)),
        ("Status", escape(detail.status_label)),
        ("Urgency", "Urgent" if detail.urgent else "Normal"),
        ("Owner", who(detail.owner_id) if detail.owner_id else "Nobody yet"),
        ("Reported by", who(detail.reporter_id)),
        ("Reported", when(detail.reported_at)),
    ]
    fields = [mrkdwn(f"*{label}:*\n{value}") for label, value in pairs]
    flags = [
        text
        for flag, text in (
            (detail.under_13, "A young person under 13 is involved"),
            (detail.immediate_referral, "Immediate referral indicated by the policy"),
            (detail.staff_saw_image, STAFF_SAW_IMAGE),
        )
        if flag
    ]
    if flags:
        fields.append(mrkdwn("*Flags:*\n" + "\n".join(flags)))
    return fields


def _due_text(due: Iterable[Due]) -> str:
    lines = ["*What is due*"]
    for item in due:
        mark = ":warning: *Overdue:* " if item.overdue else "• "
        lines.append(mark + escape(item.text))
    return "\n".join(lines)


def _decision_buttons(detail: CaseDetail) -> list[Block]:
    blocks: list[Block] = []
    if detail.available:
        blocks.append({"type": "section", "text": mrkdwn("*Record a decision*")})
        buttons = [
            button(d.title[:75], decide_action(d.key), detail.reference, style=_style(d.key))
            for d in detail.available
        ]
        for number, run in enumerate(chunks(buttons, ACTIONS_ELEMENTS)):
            blocks.append({"type": "actions", "block_id": f"{BlockId.DECISIONS}:{number}", "elements": run})
    blocks += [_blocked(detail.reference, b) for b in detail.blocked]
    return blocks


def _deletion_check(detail: CaseDetail) -> list[Block]:
    """While deletions are awaited, the DSL can ask the member of staff following them up
    (the one recorded, by default the reporter; the DSL may pick someone else)."""
    waiting = [d for d in detail.deletions if d.status == "pending"]
    if not waiting or detail.state not in policy().kinds[FOLLOW_UP].states:
        return []
    who = waiting[0].follow_up_user or detail.reporter_id
    text = (
        "*Deletion check:* ask the member of staff following it up to confirm each young person's deletion."
    )
    picker: Block = {
        "type": "users_select",
        "action_id": ActionId.DELETION_CHECK_TO,
        "placeholder": plain("Who"),
    }
    if USER_ID.match(who):
        picker["initial_user"] = who
    return [
        {"type": "section", "text": mrkdwn(text)},
        {
            "type": "actions",
            "block_id": BlockId.DELETION_CHECK,
            "elements": [
                picker,
                button("Send deletion check", ActionId.SEND_DELETION_CHECK, detail.reference),
            ],
        },
    ]


def _contacts(heading: str, contacts: Sequence[Contact]) -> list[Block]:
    """The contacts at hand as one section (an academy's long list is cut at Slack's limit)."""
    if not contacts:
        return []
    text = contact_lines(heading, contacts)
    return [{"type": "section", "text": mrkdwn(text[:SECTION_TEXT])}]


def _style(key: str) -> str | None:
    return "primary" if key == "acknowledged" else None


def _blocked(reference: str, blocked: Blocked) -> Block:
    missing = "; ".join(blocked.missing)
    return {
        "type": "section",
        "text": mrkdwn(f"*{escape(blocked.decision.title)}*: not yet. Record first: {escape(missing)}."),
        "accessory": button(blocked.decision.title[:75], decide_action(blocked.decision.key), reference),
    }


def _suggestion_blocks(detail: CaseDetail) -> list[Block]:
    suggestion = detail.suggestion
    category = suggestion.category
    confirmed = detail.confirmed_category.label if detail.confirmed_category else "not confirmed yet"
    blocks: list[Block] = [
        {"type": "divider"},
        {
            "type": "section",
            "text": mrkdwn(
                f"*Suggested category:* {escape(category.label)}\n*Confirmed category:* {escape(confirmed)}"
            ),
        },
        *(_quote(s.sentence, s.source) for s in category.sources),
    ]
    for group in suggestion.ruled_out:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(f"*Not {escape(group.label)}*, which the policy describes as:"),
            }
        )
        blocks.append(_quote(group.source.sentence, group.source.source))
    if suggestion.triggers:
        blocks.append({"type": "section", "text": mrkdwn("*Referral triggers the policy suggests:*")})
    for trigger in suggestion.triggers:
        blocks.append({"type": "section", "text": mrkdwn(f"• *{escape(trigger.label)}*")})
        blocks += [_quote(s.sentence, s.source) for s in trigger.sources]
    blocks.append({"type": "context", "elements": [mrkdwn("The policy suggests; the DSL decides.")]})
    return blocks


def _quote(sentence: str, source: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(f"“{escape(sentence)}” ({escape(source)})")]}


def _decision_lines(decisions: Sequence[RecordedDecision], who: Who) -> list[str]:
    lines = []
    for d in decisions:
        lines.append(f"*{escape(d.title)}*: {when(d.at)}, {who(d.by)}{_moved(d.from_state, d.to_state)}")
        lines += [f"   {_row(r, who)}" for r in d.rows]
    return lines


def _deletion_line(d: Any, who: Who) -> str:
    confirmed = f", confirmed {when(d.confirmed_at)} by {who(d.confirmed_by)}" if d.confirmed_at else ""
    return f"• {escape(d.pseudonym)}: deadline {day(d.deadline)}, {escape(d.status)}{confirmed}"


def _timeline_line(e: TimelineEntry, who: Who) -> str:
    reason = f": {escape(e.reason)}" if e.reason else ""
    return f"{when(e.at)} · {escape(e.label)}{reason} · {who(e.actor_id)}{_moved(e.from_state, e.to_state)}"


def _moved(source: str | None, dest: str | None) -> str:
    """A change of status in words, or nothing when the status stayed the same."""
    if not dest or source == dest:
        return ""
    before = f"{STATUS_LABELS[source]} → " if source else ""
    return f" ({escape(before + STATUS_LABELS[dest])})"


def _row(row: Row, who: Who) -> str:
    if row.kind == USER:
        return f"*{escape(row.label)}:* {who(row.value)}"
    value = (
        row.value if len(row.value) <= TEXT_SHOWN else row.value[:TEXT_SHOWN] + "… (the export has it all)"
    )
    return f"*{escape(row.label)}:* {escape(value)}"


def _fit(blocks: list[Block]) -> list[Block]:
    """Within Slack's block limit: the summary and buttons come first, so only the record's tail is cut."""
    if len(blocks) <= MODAL_BLOCKS:
        return blocks
    cut = "The record is too long to show in full here: `ypsi case export` writes all of it."
    return [*blocks[: MODAL_BLOCKS - 1], _context(cut)]


def _context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def named(detail: CaseDetail) -> Who:
    """How the case modal shows a person: name and role; a mention (Slack shows the name) if unknown."""

    def who(user_id: str | None) -> str:
        if not user_id:
            return ""
        found = detail.person(user_id)
        shown = escape(found.name) if found.name else person(user_id)
        return f"{shown} ({escape(found.role)})" if found.role else shown

    return who


def person(user_id: str | None) -> str:
    """A Slack user as a mention; anything else (the bot, the CLI) as plain text."""
    if user_id and USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id or "")


def _sections(lines: Sequence[str]) -> list[Block]:
    """Lines (holding what people typed) packed into as few section blocks as Slack allows;
    `_fit` cuts the modal to its block limit."""
    texts = pack(lines, SECTION_TEXT, max_blocks=MODAL_BLOCKS)
    return [{"type": "section", "text": mrkdwn(text, verbatim=True)} for text in texts]


def _back(reference: str) -> Block:
    return {
        "type": "actions",
        "block_id": BlockId.NAVIGATION,
        "elements": [button("Back to the case", ActionId.BACK_TO_CASE, reference)],
    }


def _case_line(line: OverviewLine) -> Block:
    urgent = " · *Urgent*" if line.urgent else ""
    owner = f" · owner {person(line.owner_id)}" if line.owner_id else ""
    due = (":warning: *Overdue:* " if line.overdue else "Next: ") + escape(line.next.text)
    text = (
        f"*{escape(line.reference)}* · {escape(line.academy_name)} · {escape(line.status_label)}"
        f"{urgent}{owner}\n{due}"
    )
    return {
        "type": "section",
        "text": mrkdwn(text, verbatim=True),
        "accessory": button("Open", ActionId.OPEN_CASE, line.reference, label=f"Open case {line.reference}"),
    }
