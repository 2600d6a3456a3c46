"""The offline practice console: the same services and dialogue as Slack, in a terminal.

Reads plain lines, so it can be scripted with a here-document. End of input (Ctrl-D) leaves
at once and keeps the draft: `report` resumes it next time.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from bot.practice_clock import clock_command, press_command, remind_command
from bot.views.case import STAFF_SAW_IMAGE
from conversations import casework, readable, reports
from conversations.calendar import LONDON
from conversations.context import Context
from conversations.decisions import load_decisions
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotAuthorised
from conversations.policy import Contact, Field, Step
from conversations.questions import Raw
from conversations.routing import Alert
from state_machines import report as dialogue

TEAM = "T0PRACTICE0"
TEACHER = "U0PRACTICE0"
HELP = """Commands:
  report        start a report, or resume the one you left
  report new    discard your unfinished report and start again
  status        your reports and where they are
  dsl           act as the academy's DSL      teacher   act as the member of staff
  cases         (DSL) open cases, what is due  ack REF   (DSL) acknowledge a case
  open REF      (DSL) the full case record     decide REF [KEY]  (DSL) record a decision
  close REF     (DSL) close a case             reopen REF  (DSL) reopen a closed case
  clock +2h     move simulated time (also `clock monday 08:00`) and see the reminders that fire
  press ...     press a reminder's button      remind REF  (DSL) send the deletion check
  help          this list                      quit      leave (your draft is kept)
While answering: type `back` for the previous step, `cancel` to discard, `save` to stop."""


class EndOfInput(Exception):
    """Input ended (Ctrl-D or the end of a script)."""


class LeaveDialogue(Exception):
    """The person typed `save` or `back`/`cancel` mid-step; `command` says which."""

    def __init__(self, command: str) -> None:
        self.command = command


@dataclass
class Console:
    """A terminal front end over the report and case services."""

    ctx: Context
    stdin: TextIO = sys.stdin
    stdout: TextIO = sys.stdout
    user: str = TEACHER
    role: str = "teacher"

    def run(self) -> int:
        """Read commands until `quit` or end of input; returns the exit code."""
        self.say("ypsi-bot practice console: nothing here reaches Slack. Type `help`.")
        try:
            while True:
                line = self.ask(f"{self.role}> ").strip()
                if line in ("quit", "exit"):
                    return 0
                self.dispatch(line)
        except EndOfInput:
            self.say("\nBye. Any unfinished report is saved: type `report` to resume it.")
            return 0

    def dispatch(self, line: str) -> None:
        """Run one top-level command."""
        word, _, arg = line.partition(" ")
        handlers = {
            "report": lambda: self.report(restart=arg.strip() == "new"),
            "status": self.status,
            "dsl": self.as_dsl,
            "teacher": self.as_teacher,
            "cases": self.cases,
            "ack": lambda: self.acknowledge(arg.strip()),
            "open": lambda: self.open_case(arg.strip()),
            "decide": lambda: self.decide(*arg.split()[:2]),
            "close": lambda: self.decide(arg.strip(), "closed"),
            "reopen": lambda: self.decide(arg.strip(), "reopened"),
            "clock": lambda: clock_command(self.ctx, arg, self.say),
            "press": lambda: press_command(self.ctx, self.user, arg, self.say),
            "remind": lambda: remind_command(self.ctx, self.user, arg, self.say),
            "help": lambda: self.say(HELP),
            "": lambda: None,
        }
        handler = handlers.get(word)
        if handler is None:
            self.say(f"Unknown command `{word}`. Type `help` for the list.")
            return
        try:
            handler()
        except NotAuthorised:
            self.say("You are not authorised to see that. Switch role with `dsl`.")
        except NotAllowedNow as exc:
            self.say(f"Sorry: {exc}" + "".join(f"\n  - {m}" for m in exc.missing))
        except ConversationError as exc:
            self.say(f"Sorry: {exc}")

    # --- the teacher's dialogue -----------------------------------------------------------

    def report(self, restart: bool = False) -> None:
        """Walk the dialogue from the draft's current step to submission."""
        if self.role != "teacher":
            self.say("Switch to `teacher` to make a report.")
            return
        draft = reports.start(self.ctx, TEAM, self.user, restart=restart)
        if draft.resumed:
            self.say(f"Resuming your unfinished report at: {self.ctx.guidance.steps[draft.state].title}.")
        while not draft.finished:
            try:
                draft = self.review(draft) if draft.state == dialogue.REVIEW else self.step(draft)
            except LeaveDialogue as leave:
                draft = self.leave(draft, leave.command)
                if draft is None:
                    return

    def step(self, draft: reports.DraftView) -> reports.DraftView:
        """Ask one step's questions and save the answers; re-ask on a validation error."""
        step = self.ctx.guidance.steps[draft.state]
        self.say(f"\n== {step.title} ==")
        if step.intro:
            self.say(step.intro.replace("*", ""))
        raw = {f.key: self.field(f, draft.choices.get(f.key) or f.options) for f in step.fields}
        try:
            outcome = reports.answer(self.ctx, draft.id, self.user, raw)
        except InvalidAnswer as exc:
            for key, message in exc.errors.items():
                self.say(f"  ! {_label(step, key)}: {message}")
            return draft
        if outcome.urgent_alert is not None:
            self.show_alert(outcome.urgent_alert, "now, before the rest of the report")
            self.show_principal(outcome.urgent_alert.reference)
            self.show_contacts("emergency")
        return outcome.draft

    def field(self, f: Field, options: dict[str, str]) -> Raw:
        """Ask for one field, translating numbered choices into option keys."""
        hint = " (optional, Enter to skip)" if f.optional else ""
        if f.type in ("choice", "multi"):
            keys = list(options)
            for i, key in enumerate(keys, start=1):
                self.say(f"  {i}. {options[key]}")
            many = " numbers separated by commas" if f.type == "multi" else " a number"
            while True:
                line = self.prompt(f"{f.label} -{many}{hint}: ")
                picked = _pick(line, keys)
                if picked is not None:
                    return picked if f.type == "multi" else (picked[0] if picked else "")
                self.say(f"  ! Please enter{many} from 1 to {len(keys)}.")
        return self.prompt(f"{f.label}{hint}: ")

    def review(self, draft: reports.DraftView) -> reports.DraftView:
        """Show the suggestion and its policy sentences; send, go back or discard."""
        suggestion = reports.suggest(self.ctx, draft)
        self.say("\n== Check and send to the DSL ==")
        self.say(f"Suggested category: {suggestion.category.label}")
        self.say(f'  "{suggestion.category.sources[0].sentence}" ({suggestion.category.sources[0].source})')
        for trigger in suggestion.triggers:
            self.say(f"Referral trigger ({trigger.level}): {trigger.label}")
            for source in trigger.sources:
                self.say(f'  "{source.sentence}" ({source.source})')
        if suggestion.immediate_referral:
            self.say("Immediate referral is indicated. The DSL decides.")
        self.say("The DSL decides; this is only a suggestion.")
        if self.prompt("Send to the DSL now? (yes / back / cancel): ").lower() not in ("yes", "y"):
            return draft
        sent = reports.submit(self.ctx, draft.id, self.user)
        self.say(f"\nSent. Your reference is {sent.reference}.")
        self.say(
            "The DSL team has been alerted privately and will contact you. Do not investigate "
            "further or speak to other pupils about it; keep the device (if any) locked away."
        )
        self.show_contacts("young_person")
        self.show_alert(sent.alert, "")
        self.show_principal(sent.reference)
        return reports.get(self.ctx, draft.id, self.user)

    def leave(self, draft: reports.DraftView, command: str) -> reports.DraftView | None:
        """Handle back / cancel / save typed at a prompt."""
        try:
            if command == "back":
                return reports.back(self.ctx, draft.id, self.user)
        except NotAllowedNow:
            self.say("  ! This is the first step.")
            return draft
        if command == "cancel":
            reports.cancel(self.ctx, draft.id, self.user)
            self.say("Report discarded.")
            return None
        self.say("Saved. Type `report` to carry on later.")
        return None

    # --- what the DSL channel would see ---------------------------------------------------

    def show_alert(self, alert: Alert, when: str) -> None:
        """Print the minimal DSL channel card, as Slack would show it."""
        academy = self.ctx.academies.get(alert.academy_key)
        self.say(f"\n--- the DSL channel {academy.dsl_channel} receives {when}---".replace("  ", " "))
        for line in alert_lines(alert):
            self.say(f"| {line}")
        self.say("---")

    def show_principal(self, reference: str) -> None:
        """Print the Principal's direct message, when an urgent or aggravated case calls for one."""
        notice = casework.principal_notice(self.ctx, reference)
        if notice is None:
            return
        self.say(f"--- the Principal <@{notice.user_id}> receives by direct message ---")
        for line in alert_lines(notice.alert)[:-1]:
            self.say(f"| {line}")
        self.say("| You are told as the Principal; the DSL will agree the response with you.")
        self.say("---")

    def show_contacts(self, audience: str) -> None:
        """Print the contacts for one audience from the guidance file."""
        heading = {"emergency": "Emergency contacts", "young_person": "Help for the young person"}
        self.say(heading.get(audience, "Contacts") + ":")
        for line in contact_lines(self.ctx.guidance.contacts_for(audience)):
            self.say(line)

    # --- other commands -------------------------------------------------------------------

    def status(self) -> None:
        """List the teacher's own reports."""
        rows = casework.my_reports(self.ctx, self.user)
        if not rows:
            self.say("You have not sent any reports.")
        for r in rows:
            self.say(f"  {r.reference}  {r.status}  (sent {_when(r.reported_at)})")

    def as_dsl(self) -> None:
        """Act as the first academy's DSL."""
        self.user, self.role = self.ctx.academies.all()[0].dsl_users[0], "dsl"
        self.say("You are now the DSL. `cases` lists open cases; `ack REF`, `open REF`, `decide REF`.")

    def as_teacher(self) -> None:
        """Act as the member of staff again."""
        self.user, self.role = TEACHER, "teacher"
        self.say("You are now the member of staff.")

    def cases(self) -> None:
        """List open cases of the DSL's academies, overdue first, with what is due next."""
        rows = casework.dsl_overview(self.ctx, self.user)
        if not rows:
            self.say("No open cases.")
        for r in rows:
            flags = ("OVERDUE " if r.overdue else "") + ("URGENT " if r.urgent else "")
            self.say(f"  {r.reference}  {flags}{r.status_label}  reported {_when(r.reported_at)}")
            self.say(f"      next: {r.next.text}")

    def acknowledge(self, reference: str) -> None:
        """Acknowledge a case as the DSL."""
        outcome = casework.record_decision(self.ctx, reference.upper(), self.user, "acknowledged", {})
        self.say(f"{outcome.reference} acknowledged: you own it. The reporter is told.")
        self.show_outcome(outcome)

    # --- the DSL's casework ---------------------------------------------------------------

    def open_case(self, reference: str) -> None:
        """Show the full case record (the opening is audited)."""
        for line in case_lines(casework.case_detail(self.ctx, reference.upper(), self.user)):
            self.say(line)

    def decide(self, reference: str = "", key: str = "") -> None:
        """Record one decision: pick from those possible now (unless given), then answer its fields."""
        reference = reference.upper()
        if not key:
            key = self.pick_decision(reference)
            if not key:
                return
        form = casework.decision_form(self.ctx, reference, self.user, key)
        self.say(f"\n== {form.decision.title} ({reference}) ==")
        if form.decision.intro:
            self.say(form.decision.intro)
        if form.contacts:
            self.say("Contacts for this step:")
            self.say("\n".join(contact_lines(form.contacts)))
        while True:
            try:
                raw = {f.key: self.decision_field(form, f) for f in form.decision.fields}
                outcome = casework.record_decision(self.ctx, reference, self.user, key, raw)
            except LeaveDialogue:
                self.say("Nothing recorded.")
                return
            except InvalidAnswer as exc:
                for field_key, message in exc.errors.items():
                    self.say(f"  ! {_label(form.decision.form, field_key)}: {message}")
                continue
            break
        self.say(f"Recorded: {outcome.title}. Status: {outcome.status_label}.")
        self.show_outcome(outcome)
        self.show_principal(reference)

    def pick_decision(self, reference: str) -> str:
        """List the decisions possible now (and those not yet possible, with why); return the pick."""
        available, blocked = casework.decisions_now(self.ctx, reference, self.user)
        for i, decision in enumerate(available, start=1):
            self.say(f"  {i}. {decision.title}")
        for b in blocked:
            self.say(f"  -  {b.decision.title}: not yet ({'; '.join(b.missing)})")
        line = self.ask("Which decision? (a number, or Enter for none): ").strip()
        picked = _pick(line, [d.key for d in available]) if line else None
        if not picked or len(picked) != 1:
            self.say("Nothing recorded.")
            return ""
        return picked[0]

    def decision_field(self, form: casework.DecisionForm, f: Field) -> Raw:
        """Ask one field of a decision; Enter takes the default shown."""
        options = form.choices.get(f.key) or f.options
        default = form.defaults.get(f.key, "")
        if f.type in ("choice", "multi"):
            if default:
                self.say(f"  (Enter: {options.get(default, default)})")
            return self.field(f, options)
        hint = TYPE_HINTS.get(f.type, "")
        shown = "you" if default == self.user else default
        if default:
            hint += f" [Enter: {shown}]"
        elif f.optional:
            hint += " (optional, Enter to skip)"
        return self.prompt(f"{f.label}{hint}: ")

    def show_outcome(self, outcome: casework.DecisionOutcome) -> None:
        """What follows a recorded decision: the reporter's message and the card update."""
        if outcome.follow_on:
            self.say(f"Then: {load_decisions().action_label(outcome.follow_on)}.")
        if outcome.tell_reporter:
            self.say(f"The member of staff who reported it is told privately: {outcome.tell_reporter}")
        self.show_alert(outcome.alert, "as an update to the card ")

    # --- input and output -----------------------------------------------------------------

    def ask(self, prompt: str) -> str:
        """Read one line; EndOfInput at the end of input."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise EndOfInput
        if not self.stdin.isatty():
            self.stdout.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n")

    def prompt(self, prompt: str) -> str:
        """Read an answer; `back`, `cancel` and `save` leave the step."""
        line = self.ask(prompt).strip()
        if line in ("back", "cancel", "save"):
            raise LeaveDialogue(line)
        return line

    def say(self, text: str) -> None:
        """Write one message."""
        self.stdout.write(text + "\n")


def alert_lines(alert: Alert) -> list[str]:
    """The card's lines as plain text (the console's rendering of the Block Kit card)."""
    lines = [
        f"{'URGENT: ' if alert.urgent else ''}YPSI concern {alert.reference} at {alert.academy_name}",
        f"Status: {alert.status_label}" + (" (report still being completed)" if alert.in_progress else ""),
        f"Suggested category: {alert.category_label}",
        f"Reported by <@{alert.reporter_id}> at {_when(alert.reported_at)}",
    ]
    if alert.immediate_referral:
        lines.insert(2, "Immediate referral indicated (the DSL decides)")
    if alert.under_13:
        lines.insert(2, "A young person under 13 is involved")
    if alert.owner_id:
        lines.append(f"Owner: <@{alert.owner_id}>")
    lines.append("[Acknowledge] [Open case]")
    return lines


TYPE_HINTS = {
    "date": " (YYYY-MM-DD)",
    "datetime": " (YYYY-MM-DD HH:MM, UK time)",
    "user": " (a Slack user id, e.g. U0DEMODSL00)",
    "names": " (pseudonyms or initials, separated by commas)",
}


def case_lines(d: casework.CaseDetail) -> list[str]:
    """The full case record as plain text (the console's rendering of the case modal)."""
    category = d.suggestion.category
    lines = [
        f"\n== {d.reference} at {d.academy_name} ==",
        f"Status: {d.status_label}   Owner: {_user(d.owner_id) if d.owner_id else 'none yet'}",
        f"Reported {_when(d.reported_at)} by {_user(d.reporter_id)}",
        f"Suggested category: {category.label}",
        f'  "{category.sources[0].sentence}" ({category.sources[0].source})',
    ]
    if d.confirmed_category:
        lines.append(f"Confirmed category: {d.confirmed_category.label}")
    if d.staff_saw_image:
        lines.append(f"Flag: {STAFF_SAW_IMAGE}")
    for trigger in d.suggestion.triggers:
        lines.append(f"Referral trigger ({trigger.level}): {trigger.label}")
    lines.append("-- The report --")
    for title, rows in d.answer_sections:
        lines += [f" {title}"] + [f"   {label}: {value}" for label, value in _rows(rows)]
    lines.append("-- Decisions --")
    for x in d.decisions:
        lines.append(f" {_when(x.at)}  {x.title}  by {_user(x.by)}")
        lines += [f"   {label}: {value}" for label, value in _rows(x.rows)]
    for x in d.deletions:
        lines.append(f" Deletion: {x.pseudonym}  deadline {readable.day(x.deadline)}  {x.status}")
    lines.append("-- Timeline --")
    for e in d.timeline:
        moved = f"  ({e.from_state} -> {e.to_state})" if e.from_state and e.from_state != e.to_state else ""
        lines.append(f" {_when(e.at)}  {_user(e.actor_id)}  {e.label}{moved}")
    lines.append("-- Due next --")
    lines += [f" {'OVERDUE ' if due.overdue else ''}{due.text}" for due in d.due] or [" Nothing: closed"]
    lines.append(f"Decisions now (`decide {d.reference}`): " + ", ".join(x.title for x in d.available))
    lines += [f"Not yet: {b.decision.title}: {'; '.join(b.missing)}" for b in d.blocked]
    if d.contacts:
        lines += ["-- Contacts at hand --", *contact_lines(d.contacts)]
    return lines


def contact_lines(contacts: Sequence[Contact]) -> list[str]:
    """Contacts as plain lines: name, number or link, email, hours."""
    return [
        f"  - {c.name}: {', '.join(w for w in (c.phone or c.url, c.email) if w)}"
        + (f" ({c.hours})" if c.hours else "")
        for c in contacts
    ]


def _rows(rows: tuple[readable.Row, ...]) -> list[tuple[str, str]]:
    return [(r.label, _user(r.value) if r.kind == readable.USER else r.value) for r in rows]


def _user(user_id: str) -> str:
    return user_id if user_id.startswith("cli:") else f"<@{user_id}>"


def _pick(line: str, keys: list[str]) -> list[str] | None:
    parts = [p for p in line.replace(",", " ").split() if p]
    if not all(p.isdigit() and 1 <= int(p) <= len(keys) for p in parts):
        return None
    return [keys[int(p) - 1] for p in parts]


def _label(step: Step, key: str) -> str:
    return next((f.label for f in step.fields if f.key == key), key)


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")
