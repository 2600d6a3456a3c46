"""The offline practice console: the same services and dialogue as Slack, in a terminal.

Reads plain lines, so it can be scripted with a here-document. End of input (Ctrl-D) leaves
at once and keeps the draft: `report` resumes it next time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from bot.console.practice_clock import clock_command, press_command, remind_command
from bot.wording import REFER_NOW, STAFF_SAW_IMAGE
from conversations.casefile import casework, readable
from conversations.casefile.casework import PrincipalNotice
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.dialogue import reports
from conversations.dialogue.routing import ACTION_LABELS, Alert
from conversations.errors import ConversationError, InvalidAnswer, NotAllowedNow, NotAuthorised, NotFound
from conversations.guidance.policy import Contact, Field, Rule
from conversations.guidance.questions import Raw, check_field
from conversations.scheduling.calendar import LONDON
from state_machines import report as dialogue

T = TypeVar("T")
TEAM = "T0PRACTICE0"
TEACHER = "U0PRACTICE0"
HELP = """Commands:
  report        start a report, or resume the one you left
  report new    discard your unfinished report and start again
  status        your reports and where they are
  dsl           act as the academy's DSL      teacher   act as the member of staff
  cases         (DSL) open cases, what is due  ack REF   (DSL) acknowledge a case
  open REF      (DSL) the full case record     decide REF  (DSL) the decisions possible now
  decide REF KEY  (DSL) record that decision
  close REF     (DSL) close a case             reopen REF  (DSL) reopen a closed case
  clock +2h     move simulated time (also `clock monday 08:00`) and see the reminders that fire
  press ...     press a reminder's button      remind REF  (DSL) send the deletion check
  help          this list                      quit      leave (your draft is kept)
While answering: Enter keeps the answer shown in [brackets]; `back` goes to the previous step,
`save` (or `quit`) keeps your report for later, `cancel` discards it (after you confirm)."""


class EndOfInput(Exception):
    """Input ended (Ctrl-D or the end of a script)."""


class LeaveDialogue(Exception):
    """The person typed `save`, `quit`, `back` or `cancel` mid-step; `command` says which."""

    def __init__(self, command: str) -> None:
        self.command = command


class Quit(Exception):
    """The person typed `quit` in the middle of something: leave once it is saved."""


# What each command needs after it, for the line shown when it is missing.
NEEDS_REFERENCE = {
    "ack": "acknowledge",
    "open": "open",
    "decide": "record a decision on",
    "close": "close",
    "reopen": "reopen",
    "remind": "send the deletion check of",
}
LEAVE_WORDS = ("back", "cancel", "save", "quit", "exit")


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
        except Quit:
            return 0
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
        if word in NEEDS_REFERENCE and not arg.strip():
            self.say(
                f"Type `{word}` and the case reference, e.g. `{word} YPSI-2026-0001`, to "
                f"{NEEDS_REFERENCE[word]} it. `cases` lists the open cases."
            )
            return
        try:
            handler()
        except (NotFound, NotAuthorised):
            self.say(self.refused(word, arg.split()[0] if arg.split() else ""))
        except NotAllowedNow as exc:
            self.say(str(exc) + "".join(f"\n  - {m}" for m in exc.missing))
        except ConversationError as exc:
            self.say(f"Sorry, that did not work: {exc}")

    def refused(self, word: str, reference: str) -> str:
        """Why a case command found nothing, and what to type instead."""
        if self.role != "dsl" and word in NEEDS_REFERENCE:
            return "Only the DSL team can do that: type `dsl` to act as the academy's DSL."
        if word in NEEDS_REFERENCE:
            return (
                f"There is no case {reference.upper()} in your academies: check the reference "
                "(`cases` lists the open ones)."
            )
        return "You are not authorised to see that. Switch role with `dsl`."

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
        """Ask one step's questions, each checked as it is typed, and save the answers; a problem
        found only when the step is saved re-asks just the fields concerned."""
        step = self.ctx.guidance.steps[draft.state]
        self.say(f"\n== {step.title} ==")
        if step.intro:
            self.say(step.intro.replace("*", ""))
        given = draft.answers.get(step.key, {})
        defaults = {f.key: _as_raw(f, given[f.key]) for f in step.fields if given.get(f.key) is not None}
        outcome = self.fill(
            step.fields,
            lambda f: draft.choices.get(f.key) or f.options,
            defaults,
            lambda raw: reports.answer(self.ctx, draft.id, self.user, raw),
        )
        if outcome.urgent_alert is not None:
            self.show_alert(outcome.urgent_alert, "now, before the rest of the report")
            self.show_principal(outcome.principal)
            self.show_contacts("emergency")
        return outcome.draft

    def fill(
        self,
        fields: tuple[Field, ...],
        options_of: Callable[[Field], dict[str, str]],
        defaults: dict[str, Raw],
        save: Callable[[dict[str, Raw]], T],
        related: Callable[[set[str]], set[str]] = lambda keys: set(),
    ) -> T:
        """Ask every field, then save; on InvalidAnswer re-ask only the fields named and those a
        rule ties them to (`related`), keeping the other answers and showing the earlier ones as
        defaults."""
        raw = dict(defaults)
        asking = list(fields)
        while True:
            for f in asking:
                raw[f.key] = self.field(f, options_of(f), raw.get(f.key))
            try:
                return save(raw)
            except InvalidAnswer as exc:
                for key, message in exc.errors.items():
                    self.say(f"  ! {_label(fields, key)}: {message}")
                again = set(exc.errors) | related(set(exc.errors))
                asking = [f for f in fields if f.key in again] or list(fields)

    def field(self, f: Field, options: dict[str, str], default: Raw = None) -> Raw:
        """Ask for one field until its answer is acceptable on its own; Enter keeps `default`."""
        if f.hint:
            self.say(f"  ({f.hint})")
        if f.type in ("choice", "multi"):
            for i, key in enumerate(options, start=1):
                self.say(f"  {i}. {options[key]}")
        while True:
            line = self.prompt(f"{f.label}{self.hint(f, options, default)}: ")
            if not line and default not in (None, "", []):
                return default
            raw, problem = _read(f, line, list(options))
            problem = problem or check_field(f, raw, options, now=self.ctx.clock())
            if problem is None:
                return raw
            self.say(f"  ! {problem}")

    def hint(self, f: Field, options: dict[str, str], default: Raw) -> str:
        """What to type, and what Enter keeps."""
        how = {
            "choice": " - type one number" if len(options) > 1 else " - type 1",
            "multi": " - type numbers separated by commas",
        }.get(f.type, TYPE_HINTS.get(f.type, ""))
        if default not in (None, "", []):
            return f"{how} [Enter: {_shown(f, default, options, self.user)}]"
        return how + (" (optional, Enter to skip)" if f.optional else "")

    def review(self, draft: reports.DraftView) -> reports.DraftView:
        """Show the answers and the points the policy raises (not the typology); send, back or discard."""
        suggestion = reports.suggest(self.ctx, draft)
        self.say("\n== Check and send to the DSL ==")
        self.say("Your answers (type `back` to change any of them):")
        for title, rows in readable.answer_rows(self.ctx.guidance, draft.answers, draft.choices):
            self.say(f" {title}")
            for row in rows:
                self.say(f"   {row.label}: {row.value}")
        if suggestion.referral_points:
            self.say(f"Points of immediate referral in the policy ({REFER_NOW}):")
            self.say_points(suggestion.referral_points)
        if suggestion.points_to_consider:
            self.say("Also for the DSL to consider:")
            self.say_points(suggestion.points_to_consider)
        if suggestion.under_13:
            self.say("A young person under 13 is involved.")
        self.say("The DSL decides what happens next.")
        if self.prompt("Send to the DSL now? (yes / back / cancel): ").lower() not in ("yes", "y"):
            return draft
        sent = reports.submit(self.ctx, draft.id, self.user)
        self.say(f"\nSent. Your reference is {sent.reference}.")
        self.say(
            "The DSL team has been alerted privately and will contact you. Do not investigate "
            "further or speak to other pupils about it; keep the device (if any) locked away."
        )
        if sent.call_now:
            self.say("Out of school hours: the DSL team may not see this until the next school day.")
            self.say("If a young person is in danger, call 999 now. Whom to call now:")
            for c in sent.call_now:
                self.say(f"  - {c.name}: {c.phone or c.url} ({c.hours})")
        self.show_contacts("young_person")
        self.show_alert(sent.alert, "")
        self.show_principal(sent.principal)
        return reports.get(self.ctx, draft.id, self.user)

    def say_points(self, triggers: Sequence[Rule]) -> None:
        """Triggers with the policy sentences they come from."""
        for trigger in triggers:
            self.say(f"  - {trigger.label}")
            for source in trigger.sources:
                self.say(f'    "{source.sentence}" ({source.source})')

    def leave(self, draft: reports.DraftView, command: str) -> reports.DraftView | None:
        """Handle back / cancel / save / quit typed at a prompt."""
        try:
            if command == "back":
                return reports.back(self.ctx, draft.id, self.user)
        except NotAllowedNow:
            self.say("  ! This is the first step.")
            return draft
        if command == "cancel":
            sure = self.ask("Discard this report and every answer in it? (yes / no): ").strip().lower()
            if sure not in ("yes", "y"):
                self.say("Kept. Carrying on where you were.")
                return draft
            reports.cancel(self.ctx, draft.id, self.user)
            self.say("Report discarded.")
            return None
        self.say("Your report is saved: type `report` to carry on where you left it.")
        if command in ("quit", "exit"):
            raise Quit
        return None

    # --- what the DSL channel would see ---------------------------------------------------

    def show_alert(self, alert: Alert, when: str) -> None:
        """Print the minimal DSL channel card, as Slack would show it."""
        academy = self.ctx.academies.get(alert.academy_key)
        self.say(f"\n--- the DSL channel {academy.destination} receives {when}---".replace("  ", " "))
        for line in alert_lines(alert):
            self.say(f"| {line}")
        self.say("---")

    def show_principal(self, notice: PrincipalNotice | None) -> None:
        """Print the Principal's direct message, when an urgent or aggravated case called for one."""
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
        reference = reference.upper()
        try:
            outcome = casework.record_decision(self.ctx, reference, self.user, "acknowledged", {})
        except NotAllowedNow:
            owner = next(
                (r.owner_id for r in casework.dsl_overview(self.ctx, self.user) if r.reference == reference),
                None,
            )
            if owner == self.user:
                self.say(f"{reference} is already yours. `open {reference}` shows what is due.")
            elif owner:
                self.say(
                    f"{reference} has already been picked up by <@{owner}>: `open {reference}` shows more."
                )
            else:
                self.say(
                    f"{reference} is not waiting to be acknowledged. `open {reference}` shows where it is."
                )
            return
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
        available, _ = casework.decisions_now(self.ctx, reference, self.user)
        if key not in load_decisions().by_key:
            keys = ", ".join(d.key for d in available) or "none"
            self.say(
                f"There is no decision `{key}`. Possible now on {reference}: {keys} (`decide {reference}`)."
            )
            return
        form = casework.decision_form(self.ctx, reference, self.user, key)
        self.say(f"\n== {form.decision.title} ({reference}) ==")
        if form.decision.intro:
            self.say(form.decision.intro)
        if form.contacts:
            self.say("Contacts for this step:")
            self.say("\n".join(contact_lines(form.contacts)))
        defaults = {k: v for k, v in form.defaults.items() if v not in (None, "")}
        try:
            outcome = self.fill(
                form.decision.fields,
                lambda f: form.choices.get(f.key) or f.options,
                defaults,
                lambda raw: casework.record_decision(self.ctx, reference, self.user, key, raw),
                lambda keys: {
                    other
                    for check in form.decision.checks
                    if check.field in keys
                    for other, _ in (*check.required_when, *check.unless)
                },
            )
        except LeaveDialogue:
            self.say("Nothing recorded.")
            return
        self.say(f"Recorded: {outcome.title}. Status: {outcome.status_label}.")
        self.show_outcome(outcome)
        self.show_principal(casework.principal_notice(self.ctx, reference))

    def pick_decision(self, reference: str) -> str:
        """List the decisions possible now with their keys (and those not yet possible, with why);
        return the one picked by number or key, or "" for none."""
        available, blocked = casework.decisions_now(self.ctx, reference, self.user)
        for i, decision in enumerate(available, start=1):
            self.say(f"  {i}. {decision.title}   (`decide {reference} {decision.key}`)")
        for b in blocked:
            self.say(f"  -  {b.decision.title}: not yet ({'; '.join(b.missing)})")
        keys = [d.key for d in available]
        while True:
            line = self.ask("Which decision? (its number or key, or Enter for none): ").strip()
            if not line:
                self.say("Nothing recorded.")
                return ""
            if line in keys:
                return line
            picked = _pick(line, keys)
            if picked and len(picked) == 1:
                return picked[0]
            self.say(f"  ! Type one number from 1 to {len(keys)}, a key shown, or Enter for none.")

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
        """Read an answer; `back`, `cancel`, `save` and `quit` leave the step."""
        line = self.ask(prompt).strip()
        if line in LEAVE_WORDS:
            raise LeaveDialogue(line)
        return line

    def say(self, text: str) -> None:
        """Write one message."""
        self.stdout.write(text + "\n")


def alert_lines(alert: Alert) -> list[str]:
    """The card's lines as plain text, from the same data as the Slack card: status, urgency,
    flags and the buttons that apply now."""
    lines = [
        f"{'URGENT: ' if alert.urgent else ''}YPSI concern {alert.reference} at {alert.academy_name}",
        f"Urgency: {'Urgent' if alert.urgent else 'Normal'}",
        f"Status: {alert.status_text}",
        f"Suggested category: {alert.category_label}",
        f"Reported by <@{alert.reporter_id}> at {_when(alert.reported_at)}",
        *alert.flags,
    ]
    if alert.owner_id:
        lines.append(f"Owner: <@{alert.owner_id}>")
    lines.append(" ".join(f"[{ACTION_LABELS[action]}]" for action in alert.actions))
    return lines


TYPE_HINTS = {
    "date": " (YYYY-MM-DD)",
    "datetime": " (YYYY-MM-DD HH:MM, UK time)",
    "user": " (a member of staff's Slack id, like U0123ABCDEF)",
    "names": " (pseudonyms or initials, separated by commas)",
}


def case_lines(d: casework.CaseDetail) -> list[str]:
    """The full case record as plain text (the console's rendering of the case modal)."""
    category = d.suggestion.category
    lines = [
        f"\n== {d.reference} at {d.academy_name} ==",
        f"Status: {d.status_label}   Owner: {d.person(d.owner_id).label if d.owner_id else 'none yet'}",
        f"Reported {_when(d.reported_at)} by {d.person(d.reporter_id).label}",
        f"Suggested category: {category.label}",
        f'  "{category.sources[0].sentence}" ({category.sources[0].source})',
    ]
    for group in d.suggestion.ruled_out:
        lines.append(f'Not {group.label}, which the policy describes as: "{group.source.sentence}"')
    if d.confirmed_category:
        lines.append(f"Confirmed category: {d.confirmed_category.label}")
    if d.staff_saw_image:
        lines.append(f"Flag: {STAFF_SAW_IMAGE}")
    for trigger in d.suggestion.triggers:
        lines.append(f"Referral trigger ({trigger.level}): {trigger.label}")
    lines.append("-- The report --")
    for title, rows in d.answer_sections:
        lines += [f" {title}"] + [f"   {label}: {value}" for label, value in _rows(d, rows)]
    lines.append("-- Decisions --")
    for x in d.decisions:
        lines.append(f" {_when(x.at)}  {x.title}  by {d.person(x.by).label}")
        lines += [f"   {label}: {value}" for label, value in _rows(d, x.rows)]
    for x in d.deletions:
        lines.append(f" Deletion: {x.pseudonym}  deadline {readable.day(x.deadline)}  {x.status}")
    lines.append("-- Timeline --")
    for e in d.timeline:
        moved = f"  ({e.from_state} -> {e.to_state})" if e.from_state and e.from_state != e.to_state else ""
        lines.append(f" {_when(e.at)}  {d.person(e.actor_id).label}  {e.label}{moved}")
    lines.append("-- Due next --")
    lines += [f" {'OVERDUE ' if due.overdue else ''}{due.text}" for due in d.due] or [" Nothing: closed"]
    lines.append(f"Decisions now (`decide {d.reference}`): " + ", ".join(x.title for x in d.available))
    lines += [f"Not yet: {b.decision.title}: {'; '.join(b.missing)}" for b in d.blocked]
    if d.contacts:
        lines += ["-- Contacts at hand --", *contact_lines(d.contacts)]
    return lines


def _rows(d: casework.CaseDetail, rows: tuple[readable.Row, ...]) -> list[tuple[str, str]]:
    """Answers as (label, text), a member of staff by name and role."""
    return [(r.label, d.person(r.value).label if r.kind == readable.USER else r.value) for r in rows]


def contact_lines(contacts: Sequence[Contact]) -> list[str]:
    """Contacts as plain lines: name, number or link, email, hours."""
    return [
        f"  - {c.name}: {', '.join(w for w in (c.phone or c.url, c.email) if w)}"
        + (f" ({c.hours})" if c.hours else "")
        for c in contacts
    ]


def _pick(line: str, keys: list[str]) -> list[str] | None:
    parts = [p for p in line.replace(",", " ").split() if p]
    if not all(p.isdigit() and 1 <= int(p) <= len(keys) for p in parts):
        return None
    return [keys[int(p) - 1] for p in parts]


def _read(f: Field, line: str, keys: list[str]) -> tuple[Raw, str | None]:
    """A typed line as the raw answer of `f` (numbers become option keys), or why it cannot be."""
    if f.type not in ("choice", "multi"):
        return line, None
    picked = _pick(line, keys)
    only = "1" if len(keys) == 1 else f"one number from 1 to {len(keys)}"
    if f.type == "multi":
        return (
            picked,
            None if picked is not None else f"Type numbers from 1 to {len(keys)}, separated by commas.",
        )
    if picked is None or len(picked) > 1:
        return None, f"Type {only}: this question takes one answer."
    return (picked[0] if picked else ""), None


def _as_raw(f: Field, value: Any) -> Raw:
    """A stored answer as it would be typed (option keys stay keys)."""
    if f.type in ("choice", "multi"):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _shown(f: Field, raw: Raw, options: dict[str, str], me: str) -> str:
    if f.type == "choice" and isinstance(raw, str):
        return options.get(raw, raw)
    if f.type == "multi" and isinstance(raw, list):
        return ", ".join(options.get(k, k) for k in raw)
    return "you" if raw == me else str(raw)


def _label(fields: tuple[Field, ...], key: str) -> str:
    return next((f.label for f in fields if f.key == key), key)


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")
