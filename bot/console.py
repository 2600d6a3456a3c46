"""The offline practice console: the same services and dialogue as Slack, in a terminal.

Reads plain lines, so it can be scripted with a here-document. End of input (Ctrl-D) leaves
at once and keeps the draft: `report` resumes it next time.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from conversations import cases, reports
from conversations.context import Context
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotAuthorised
from conversations.policy import Field, Step
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
  cases         (DSL) open cases               ack REF   (DSL) acknowledge a case
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

    def show_contacts(self, audience: str) -> None:
        """Print the contacts for one audience from the guidance file."""
        heading = {"emergency": "Emergency contacts", "young_person": "Help for the young person"}
        self.say(heading.get(audience, "Contacts") + ":")
        for c in self.ctx.guidance.contacts_for(audience):
            self.say(f"  - {c.name}: {c.phone or c.url} ({c.hours})")

    # --- other commands -------------------------------------------------------------------

    def status(self) -> None:
        """List the teacher's own reports."""
        rows = cases.reports_of(self.ctx, self.user)
        if not rows:
            self.say("You have not sent any reports.")
        for r in rows:
            self.say(f"  {r.reference}  {r.status_label}")

    def as_dsl(self) -> None:
        """Act as the first academy's DSL."""
        self.user, self.role = self.ctx.academies.all()[0].dsl_users[0], "dsl"
        self.say("You are now the DSL. `cases` lists open cases; `ack REF` acknowledges one.")

    def as_teacher(self) -> None:
        """Act as the member of staff again."""
        self.user, self.role = TEACHER, "teacher"
        self.say("You are now the member of staff.")

    def cases(self) -> None:
        """List open cases of the DSL's academies."""
        rows = cases.open_cases(self.ctx, self.user)
        if not rows:
            self.say("No open cases.")
        for r in rows:
            urgent = "URGENT " if r.urgent else ""
            self.say(f"  {r.reference}  {urgent}{r.status_label}  reported {_when(r.reported_at)}")

    def acknowledge(self, reference: str) -> None:
        """Acknowledge a case as the DSL."""
        alert = cases.acknowledge(self.ctx, reference.upper(), self.user)
        self.say(f"{alert.reference} acknowledged: you own it. The reporter is told.")
        self.show_alert(alert, "as an update to the card ")

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


def _pick(line: str, keys: list[str]) -> list[str] | None:
    parts = [p for p in line.replace(",", " ").split() if p]
    if not all(p.isdigit() and 1 <= int(p) <= len(keys) for p in parts):
        return None
    return [keys[int(p) - 1] for p in parts]


def _label(step: Step, key: str) -> str:
    return next((f.label for f in step.fields if f.key == key), key)


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(reports.LONDON).strftime("%a %d %b %Y %H:%M")
