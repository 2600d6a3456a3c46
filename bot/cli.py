"""The `ypsi` command: run, console, db upgrade, check-config, diagram, keys, audit verify, purge,
case export, reminders run / due, teams package.

Configuration problems print one line naming the setting and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

from bot.bootstrap import build_context, configured, database_status, keyring_for, keys_in_use
from bot.config import Settings, load_settings
from bot.console.practice_clock import SimulatedClock, render
from bot.console.terminal import Console
from conversations.academies import Academies
from conversations.casefile.export import FORMATS, export_case
from conversations.delivery import outbox
from conversations.errors import ConfigError, InvalidAnswer, NotFound
from conversations.protection import audit, keys, retention
from conversations.protection.crypto import SETTING, Keyring, new_key, unused_id
from conversations.scheduling import reminders as reminder_rules
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import ReminderMessage
from conversations.scheduling.runner import Runner, Sender, Senders
from state_machines import case, report

DIAGRAM_FILE = Path("docs/state-machines.md")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ypsi` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(load_settings(), args)
    except ConfigError as exc:
        print(f"ypsi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ypsi", description="ypsi-bot: report YPSI concerns to the DSL.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    commands: list[tuple[str, str, Callable[[Settings, argparse.Namespace], int]]] = [
        ("run", "run the bot for Slack, Teams or both; the practice console when neither is set", run),
        ("console", "the offline practice console (no Slack needed)", console),
        ("check-config", "validate .env, the academies file and the database", check_config),
        ("diagram", f"write mermaid diagrams of the state machines to {DIAGRAM_FILE}", diagram),
    ]
    for name, help_text, handler in commands:
        sub.add_parser(name, help=help_text).set_defaults(handler=handler)
    db = sub.add_parser("db", help="database commands").add_subparsers(required=True, metavar="ACTION")
    db.add_parser("upgrade", help="migrate the database to the latest schema").set_defaults(
        handler=db_upgrade
    )
    key = sub.add_parser("keys", help="encryption keys").add_subparsers(required=True, metavar="ACTION")
    new = key.add_parser("new", help=f"print a fresh key for {SETTING}")
    new.add_argument("--id", help="the key id (default: today's date, e.g. k20261129, made unique)")
    new.set_defaults(handler=keys_new)
    key.add_parser("rotate", help="re-encrypt stored data with the first (current) key").set_defaults(
        handler=keys_rotate
    )
    trail = sub.add_parser("audit", help="audit trail").add_subparsers(required=True, metavar="ACTION")
    check = trail.add_parser("verify", help="check every audit chain; name every broken event")
    check.add_argument("--head", help="a checkpoint digest kept elsewhere (e.g. from the weekly digest)")
    check.set_defaults(handler=audit_verify)
    trail.add_parser("checkpoint", help="record every chain's head now; print its digest").set_defaults(
        handler=audit_checkpoint
    )
    purge_parser = sub.add_parser("purge", help="delete records past their retention date (audited)")
    purge_parser.add_argument("--dry-run", action="store_true", help="list what would go; change nothing")
    purge_parser.set_defaults(handler=purge)
    records = sub.add_parser("case", help="case records").add_subparsers(required=True, metavar="ACTION")
    export = records.add_parser("export", help="write a case's safeguarding record (audited)")
    export.add_argument("reference", help="the case reference, e.g. YPSI-2026-0001")
    export.add_argument(
        "--format", choices=FORMATS, default="md", help="Markdown (default), HTML (A4 print) or PDF (A4)"
    )
    export.add_argument("--out", type=Path, help="write to this file (readable by you only), not the screen")
    export.add_argument(
        "--person",
        metavar="INITIALS",
        default="",
        help="one young person's record (initials or pseudonym as recorded); the others pseudonymised",
    )
    export.set_defaults(handler=case_export)
    due = sub.add_parser("reminders", help="reminders").add_subparsers(required=True, metavar="ACTION")
    runner = due.add_parser("run", help="send reminders as they fall due, as a process of its own")
    runner.add_argument("--once", action="store_true", help="send what is due now, then exit")
    runner.add_argument("--interval", type=float, default=30.0, help="seconds between passes (default 30)")
    runner.set_defaults(handler=reminders_run)
    due.add_parser("due", help="list pending reminders, oldest first").set_defaults(handler=reminders_due)
    teams = sub.add_parser("teams", help="Microsoft Teams").add_subparsers(required=True, metavar="ACTION")
    package = teams.add_parser("package", help="write the Teams app package (manifest and icons, zip)")
    package.add_argument("--domain", required=True, help="the public host of https://HOST/api/messages")
    package.add_argument(
        "--out", type=Path, default=None, help="the zip to write (default ypsi-bot-teams.zip)"
    )
    package.add_argument("--privacy-url", default="", help="your privacy notice (default https://HOST/)")
    package.set_defaults(handler=teams_package)
    return parser


def teams_package(settings: Settings, args: argparse.Namespace) -> int:
    """Write the Teams app package for an admin to upload (README: Install in Microsoft Teams)."""
    from bot.teams.package import DEFAULT_FILE, details, write_package

    app = details(settings.teams_app_id, args.domain, args.privacy_url)
    out = write_package(app, args.out or DEFAULT_FILE)
    print(f"wrote {out}: upload it in the Teams admin centre (Manage apps > Upload) or sideload it")
    return 0


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Serve Slack, Teams or both (one process), or start the practice console with neither."""
    if not settings.slack_enabled and not settings.teams_enabled:
        print(
            "No SLACK_BOT_TOKEN or TEAMS_APP_ID set: starting the offline practice console.", file=sys.stderr
        )
        return console(settings, args)
    if not settings.teams_enabled:
        from bot.slack.server import serve

        return serve(settings)
    from bot.teams.server import serve as serve_teams
    from bot.teams.server import teams_serving

    if not settings.slack_enabled:
        return serve_teams(settings)
    from bot.slack.server import interrupt_on_sigterm, serve

    interrupt_on_sigterm()  # before Teams listens: a stop that comes at once is graceful too
    try:
        with teams_serving(build_context(settings), settings):  # Teams in its thread while Slack runs
            return serve(settings)
    except KeyboardInterrupt:
        return 0


def console(settings: Settings, args: argparse.Namespace) -> int:
    """The practice console on the configured database (default: the local ypsi.db)."""
    clock = SimulatedClock()
    ctx = build_context(settings, practice=True, clock=clock)
    clock.keep_in(ctx.db)
    return Console(ctx).run()


def reminders_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the reminder runner (any number may run at once); offline, print what would be sent."""
    online = settings.slack_enabled or settings.teams_enabled
    ctx = build_context(settings, practice=not online)
    couriers: list[Sender] = []
    deliver = _print_reminder
    if settings.slack_enabled:
        from bot.slack.app import web_client
        from bot.slack.courier import Courier, delivery_client
        from bot.slack.reminder_posts import slack_deliverer

        deliver = slack_deliverer(web_client(settings))
        couriers.append(Courier(ctx, delivery_client(settings)))
    if settings.teams_enabled:
        from bot.teams.courier import settings_courier

        couriers.append(settings_courier(ctx, settings))
    if not online:
        print("No SLACK_BOT_TOKEN or TEAMS_APP_ID set: reminders are printed, not sent.", file=sys.stderr)
    # Reminders and the outbox, each row through its recipient's front end.
    sender = Senders(tuple(couriers)) if couriers else None
    runner = Runner(ctx, deliver, sender=sender)
    if args.once:
        runner.maintain()
        handled = runner.drain()
        if sender is not None:
            sender.drain()
            while sender.send_due():
                pass
        print(f"{handled} reminders handled.")
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runner.run(stop, args.interval)
    return 0


def _print_reminder(message: ReminderMessage) -> None:
    print("\n".join(render(message)), flush=True)


def reminders_due(settings: Settings, args: argparse.Namespace) -> int:
    """List pending reminders, oldest first, marking those already due."""
    ctx = build_context(settings, practice=not settings.slack_enabled)
    now = ctx.clock()
    rows = reminder_rules.pending(ctx)
    for r in rows:
        flag = ("DUE NOW" if r.due_at <= now else "") + (f" (tried {r.attempts}x)" if r.attempts else "")
        where = r.reference or r.academy_key or "-"
        print(f"{r.due_at.astimezone(LONDON):%a %d %b %Y %H:%M}  {r.kind:<24} {where:<16} {flag}".rstrip())
    dead = outbox.dead_letters(ctx)
    if dead:
        print("Not delivered (dead letter: given up, audited, fallback sent):")
    for d in dead:
        what = d.reminder_kind or d.kind
        to = "the DSL channel" if d.recipient_kind == outbox.CHANNEL else "a direct message"
        tries = f"{d.attempts} attempt" + ("s" if d.attempts != 1 else "")
        where = d.reference or d.academy_key or "-"
        when = d.at.astimezone(LONDON)
        print(f"{when:%a %d %b %Y %H:%M}  {what:<24} {where:<16} to {to}: {d.error} ({tries})")
    print(
        f"{len(rows)} pending, {sum(r.due_at <= now for r in rows)} due now."
        + (f" {len(dead)} not delivered." if dead else "")
    )
    return 0


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate the database."""
    build_context(settings, practice=True)
    print("Database is up to date.")
    return 0


def keys_new(settings: Settings, args: argparse.Namespace) -> int:
    """Print the whole settings line: a fresh key first, then every key in use (the practice key too)."""
    in_use = keys_in_use(settings, practice=not settings.slack_enabled)
    held = list(Keyring.parse(in_use).keys) if in_use else []
    if args.id and args.id in held:
        raise ConfigError(f"key id '{args.id}' is already in use: choose another --id, or leave it out")
    kid = args.id or unused_id(date.today().strftime("k%Y%m%d"), held)
    print(f"{SETTING}={','.join(filter(None, [new_key(kid), in_use]))}")
    print(
        f"Replace the {SETTING} line in .env with this one (it keeps every key in use), restart, then "
        "run `ypsi keys rotate`: it says which old keys may then be removed.",
        file=sys.stderr,
    )
    return 0


def keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    """Re-encrypt every rewritable value with the current key; say which old keys must stay."""
    practice = not settings.slack_enabled
    ctx = build_context(settings, practice=practice)
    keyring = keyring_for(settings, practice=practice)
    done = keys.rotate(ctx, keyring)
    print(f"Re-encrypted {done.rewritten} values with key '{keyring.current}'.")
    if done.audit_keys:
        held = ", ".join(f"'{kid}' ({n} values)" for kid, n in sorted(done.audit_keys.items()))
        print(f"Audit events are append-only and keep keys {held}: leave them in {SETTING}.")
    if done.retirable:
        names = ", ".join(f"'{kid}'" for kid in done.retirable)
        print(f"No stored value needs {names} any more: you may remove it from {SETTING}.")
    else:
        print(f"Every other key in {SETTING} is still needed.")
    return 0


def audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Check every chain and checkpoint; exit 1 naming every problem found."""
    ctx = build_context(settings, practice=not settings.slack_enabled)
    with ctx.db.unit_of_work(read_only=True) as uow:
        checked, broken = audit.verify(uow.session, head=args.head)
    for b in broken:
        where = [f"case {b.case_reference or '(no case)'}"] if b.event_id or b.case_reference else []
        where += [f"event {b.event_id}"] if b.event_id else []
        print(f"BROKEN: {', '.join(where)}: {b.problem}" if where else f"BROKEN: {b.problem}")
    if broken:
        print(f"{len(broken)} problems among {checked} events.", file=sys.stderr)
        return 1
    print(f"ok: {checked} audit events verified, every chain intact.")
    return 0


def audit_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    """Record the head of every chain; print the digest to keep outside the database."""
    ctx = build_context(settings, practice=not settings.slack_enabled)
    written = audit.checkpoint_now(ctx)
    print(f"checkpoint {written.id}: {written.digest} ({written.chains} chains, {written.events} events)")
    print("Keep this digest outside the database; `ypsi audit verify --head DIGEST` checks against it.")
    return 0


def purge(settings: Settings, args: argparse.Namespace) -> int:
    """Apply the retention rules (or, with --dry-run, list what they would remove)."""
    rules = retention.load_retention(settings.retention_file)
    ctx = build_context(settings, practice=not settings.slack_enabled)
    plan = retention.purge(ctx, rules, dry_run=args.dry_run)
    verb = "Would purge" if args.dry_run else "Purged"
    counts = f"{len(plan.cases)} closed cases, {plan.drafts} drafts and {plan.deliveries} old Slack event ids"
    print(f"{verb} {counts}.")
    for due in plan.cases:
        print(f"  {due.reference}: kept until {due.keep_until} ({due.rule})")
    return 0


def case_export(settings: Settings, args: argparse.Namespace) -> int:
    """Write one case's record; the export is audited with the operating-system user as actor."""
    ctx = build_context(settings, practice=not settings.slack_enabled)
    if settings.slack_enabled:
        from bot.slack.app import web_client
        from bot.slack.directory import slack_directory

        ctx = replace(ctx, directory=slack_directory(web_client(settings), ctx))
    reference = args.reference.upper()
    actor = f"cli:{getpass.getuser()}"[:32]
    _writable(args.out)
    if args.format == "pdf" and args.out is None:
        print("ypsi: a PDF is not for the screen: add --out FILE.pdf", file=sys.stderr)
        return 2
    try:
        export_case(ctx, reference, actor, args.format, args.person, deliver=partial(_write_record, args.out))
    except NotFound:
        print(f"ypsi: no case {reference}: check the reference", file=sys.stderr)
        return 1
    except InvalidAnswer as exc:
        print(f"ypsi: --person {args.person}: {exc.errors['person']}", file=sys.stderr)
        return 1
    if args.out is not None:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _writable(out: Path | None) -> None:
    """Refuse, before anything is rendered or audited, an --out that cannot be written."""
    if out is None:
        return
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder: name a file in it, e.g. {out / 'record.pdf'}")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist or cannot be written")


def _write_record(out: Path | None, content: str | bytes) -> None:
    data = content.encode() if isinstance(content, str) else content
    if out is None:
        sys.stdout.buffer.write(data)
        return
    # The record is special category data: the file is created readable by its owner only, and
    # an existing file is made so too (O_CREAT's mode applies only to a new file).
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write it ({exc.strerror})") from None
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def check_config(settings: Settings, args: argparse.Namespace) -> int:
    """Validate everything and say what was checked, changing nothing in the database."""
    academies, keyring = configured(settings, practice=not (settings.slack_enabled or settings.teams_enabled))
    names = ", ".join(a.name for a in academies.all())
    db, pending = database_status(settings, keyring)
    if db is None:
        state = "not created yet (`ypsi db upgrade` or `ypsi run` creates it)"
    elif pending:
        state = f"{len(pending)} migrations to apply (`ypsi db upgrade`, or `ypsi run` at start-up)"
    else:
        state = "up to date"
    dialect = db.engine.dialect.name if db else "sqlite"
    print(f"ok: {len(academies.all())} academies ({names}); database {dialect} {state}")
    problems = check_slack_channels(academies, settings) if settings.slack_enabled else 0
    if settings.teams_enabled:
        problems = max(problems, check_teams_rosters(academies, settings))
    return problems


def check_slack_channels(academies: Academies, settings: Settings) -> int:
    """Ask Slack whether each DSL channel is private with ypsi-bot in it; 1 if any is not."""
    from bot.slack.alerts import channel_problems
    from bot.slack.app import web_client

    try:
        problems = channel_problems(academies, web_client(settings))
    except OSError as exc:
        raise ConfigError(f"SLACK_API_URL: cannot reach Slack ({exc.__class__.__name__})") from None
    for line in problems:
        print(f"problem: {line}")
    if not problems:
        print("ok: every DSL channel is private and ypsi-bot is a member")
    return 1 if problems else 0


def check_teams_rosters(academies: Academies, settings: Settings) -> int:
    """Ask Teams whether each Teams academy's team holds only its DSLs and deputies; 1 if any does not."""
    from bot.teams.courier import settings_client
    from bot.teams.roster import roster_problems

    try:
        problems = asyncio.run(roster_problems(settings_client(settings), academies))
    except Exception as exc:  # the token: a wrong secret or app id, or no way to Entra ID
        raise ConfigError(
            f"TEAMS_APP_ID / TEAMS_APP_PASSWORD: no token for the Bot Connector ({exc.__class__.__name__})"
        ) from None
    for line in problems:
        print(f"problem: {line}")
    if not problems:
        print("ok: every Teams DSL team holds only its academy's DSLs and deputies")
    return 1 if problems else 0


def diagram(settings: Settings, args: argparse.Namespace) -> int:
    """Write both machines as mermaid diagrams."""
    DIAGRAM_FILE.parent.mkdir(parents=True, exist_ok=True)
    DIAGRAM_FILE.write_text(diagrams(), encoding="utf-8")
    print(f"wrote {DIAGRAM_FILE}")
    return 0


def diagrams() -> str:
    """The markdown document holding both diagrams."""
    return (
        "# State machines\n\nGenerated by `ypsi diagram` from `state_machines/`; do not edit.\n\n"
        "## Report dialogue (`state_machines/report.py`)\n\n```mermaid\n"
        + report.MACHINE.mermaid("report dialogue")
        + "\n```\n\n## Case lifecycle (`state_machines/case.py`)\n\n```mermaid\n"
        + case.MACHINE.mermaid("case lifecycle")
        + "\n```\n"
    )


if __name__ == "__main__":
    sys.exit(main())
