"""The `fengqiao` command: run the platform and look after its data.

Every failure an operator can cause (bad configuration, unreachable database, busy
port) ends with one line saying what is wrong and how to fix it, and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

EXIT_USAGE = 2


class CommandError(Exception):
    """A problem the operator can fix; printed as one line."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        raise CommandError(str(error)) from None


def _check_database() -> None:
    from django.conf import settings
    from django.db import OperationalError, connection

    try:
        connection.ensure_connection()
    except OperationalError as error:
        db = settings.DATABASES["default"]
        where = db.get("HOST") or db.get("NAME")
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CommandError(
            f"cannot reach the database at {where} ({first_line}): check DATABASE_URL, "
            "or that the database server is running"
        ) from None


def _migrate(verbose: bool) -> None:
    from django.core.management import call_command

    # Each migration runs in its own transaction on both SQLite and PostgreSQL.
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
    from django.db import connection

    if connection.vendor == "sqlite":
        # Keep the query planner's statistics fresh (cheap when nothing changed): without
        # them SQLite sorts whole tables for a page of 25.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize=0x10002")


def _load_demo() -> list[tuple[str, str, str]]:
    from rich.progress import Progress

    from fengqiao.demo.services import DEMO_STEPS, load_demo
    from fengqiao.incidents import sms

    with Progress(transient=True) as bar, sms.held() as messages:
        task = bar.add_task("Loading the demo bureau", total=DEMO_STEPS)

        def step(name: str) -> None:
            bar.update(task, advance=1, description=f"Loading the demo bureau: {name}")

        result = load_demo(progress=step)
    added = f"{result.created_nodes} units and {result.created_users} accounts added"
    print(f"Demo bureau ready ({added}).")
    if messages.count:
        print(f"{messages.count} demo tracking SMS kept in the outbox, not sent.")
    return result.logins


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    from fengqiao.demo.services import DEMO_PASSWORD

    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, unit in logins:
        print(f"  {username:<20} {role}  {unit}")


def _port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise CommandError(
                f"port {port} on {host} is already in use (is another `fengqiao serve` running?): "
                "stop it, or choose another port with --port"
            ) from None


def cmd_serve(args: argparse.Namespace) -> None:
    _port_free(args.host, args.port)
    _setup_django()
    _check_database()
    _migrate(args.verbose)
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    url = f"http://{args.host}:{args.port}/"
    # The tracking SMS names the tracking page: at the public address when one is set,
    # else where this server answers.
    settings.FENGQIAO_SERVED_URL = url
    logins = _load_demo() if args.demo else []
    from fengqiao.setup.services import setup_done

    # Until the first administrator and the bureau exist, every page leads to the setup.
    settings.FENGQIAO_FIRST_RUN = True
    first_run = not setup_done()
    from waitress import serve

    from fengqiao.wsgi import application

    print(f"\nFengqiao (枫桥) is serving the staff web UI at {url}")
    if logins:
        _print_logins(logins)
    if first_run:
        print(
            f"First run: open http://127.0.0.1:{args.port}/setup/ in a browser on this "
            "machine to create the administrator and the bureau (or stop and run with --demo)."
        )
    from fengqiao.core import worker

    # The background worker (imports over the inline limit) and the periodic jobs run
    # beside the server, so a laptop needs nothing else started; `--no-worker` when a
    # separate `fengqiao worker` runs them.
    child = None if args.no_worker else worker.start_child()
    if child is not None:
        print(f"Background worker and scheduler running (pid {child.pid}).")
    print("Press Ctrl+C to stop.\n", flush=True)
    # SIGTERM (systemd, kill) takes the same way out as Ctrl+C, so the worker is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(application, host=args.host, port=args.port, threads=args.threads, ident="fengqiao")
    finally:
        if child is not None:
            print("Stopping the background worker…", flush=True)
            worker.stop_child(child)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_worker(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    from fengqiao.core import worker

    if args.parent_pid is None:
        what = "task worker" + ("" if args.no_schedule else " and scheduler")
        print(f"Fengqiao {what} running (pid {os.getpid()}); Ctrl+C to stop.", flush=True)
    worker.run_worker(schedule=not args.no_schedule, parent_pid=args.parent_pid)


def cmd_migrate(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    _migrate(verbose=True)


def cmd_demo(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    _migrate(args.verbose)
    _print_logins(_load_demo())


EXIT_AUDIT_BROKEN = 1  # audit-verify / audit-checkpoint: the chain or its checkpoints do not hold


def _audit_broken(line: str) -> None:
    print(f"fengqiao: {line}", file=sys.stderr)
    raise SystemExit(EXIT_AUDIT_BROKEN)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    """Exit 0: intact (and matching the last checkpoint, if any); 1: tampering found;
    2: cannot verify (configuration, database, wrong key)."""
    _setup_django()
    _check_database()
    from pathlib import Path

    from rich.progress import Progress

    from fengqiao.audit.checkpoints import KeyMismatchError
    from fengqiao.audit.models import AuditEvent
    from fengqiao.audit.services import verify_chain

    total = AuditEvent.objects.count()
    copies = [Path(path) for path in args.checkpoints or []]
    for copy in copies:
        if not copy.is_file():
            raise CommandError(f"the checkpoint copy {copy} does not exist")
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task("Verifying the audit chain", total=total)
            report = verify_chain(
                progress=lambda done: bar.update(task, completed=done), checkpoint_copies=copies
            )
    except KeyMismatchError as error:
        raise CommandError(str(error)) from None
    if not report.ok:
        if report.broken_seq is None:  # the checkpoints themselves
            _audit_broken(f"audit chain BROKEN: {report.problem}")
        _audit_broken(
            f"audit chain BROKEN at event #{report.broken_seq}: {report.problem} "
            f"({report.checked} events before it verified)"
        )
    anchored = (
        f"matches checkpoint {report.checkpoint.label}"
        if report.checkpoint
        else "no checkpoint yet, so a deleted tail would not show (run `./fq audit-checkpoint`)"
    )
    print(f"audit chain intact: {report.checked} events, head hash {report.head_hash}, {anchored}")


def cmd_audit_checkpoint(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    from django.core.management import call_command
    from django.core.management.base import CommandError as DjangoCommandError

    options = {"export": args.export} if args.export else {}
    try:
        call_command("audit_checkpoint", **options)
    except DjangoCommandError as error:
        if "BROKEN" in str(error):
            _audit_broken(str(error))
        raise CommandError(str(error)) from None


def _steps() -> tuple[Any, Callable[[str], None]]:
    from rich.console import Console

    status = Console(stderr=True).status("")
    return status, lambda text: status.update(text)


def cmd_backup(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    import time
    from pathlib import Path

    from fengqiao.ops import backup

    destination = Path(args.dest) if args.dest else backup.default_destination()
    if destination.is_dir():
        destination = destination / backup.default_destination().name
    started = time.monotonic()
    status, step = _steps()
    try:
        with status:
            manifest = backup.create_backup(
                destination=destination, include_keys=args.include_keys, progress=step
            )
    except backup.BackupError as error:
        raise CommandError(str(error)) from None
    size = destination.stat().st_size
    rows = sum(manifest["tables"].values())
    media = sum(1 for entry in manifest["files"] if entry["name"].startswith("media/"))
    print(
        f"backup written: {destination} ({size / 1e6:.1f} MB, {time.monotonic() - started:.1f} s)"
    )
    print(f"  {manifest['database']} database: {len(manifest['tables'])} tables, {rows} rows; "
          f"{media} media files")  # fmt: skip
    print(f"  audit chain: {manifest['audit']['events']} events, head "
          f"{manifest['audit']['head_hash'][:12]}")  # fmt: skip
    if manifest["includes_keys"]:
        print("  it HOLDS THE AUDIT KEY: keep it as safely as the key itself")
    else:
        print("  the audit key is not in it: keep var/audit_key (or FENGQIAO_AUDIT_KEY) "
              "apart, restore needs it")  # fmt: skip
    print("  copy it off this machine: a backup on the same disk is not a backup")


def cmd_restore(args: argparse.Namespace) -> None:
    """Exit 0: restored and verified; 1: restored but it does not verify; 2: refused,
    nothing changed."""
    _setup_django()
    _check_database()
    import time
    from pathlib import Path

    from fengqiao.ops import backup

    started = time.monotonic()
    status, step = _steps()
    try:
        with status:
            result = backup.restore_backup(
                archive_path=Path(args.archive), force=args.force, progress=step
            )
    except backup.BackupError as error:
        raise CommandError(str(error)) from None
    except backup.VerificationFailed as error:
        _audit_broken(f"restore does NOT verify: {error}")
    for note in result.notes:
        print(f"note: {note}")
    manifest = result.manifest
    print(f"restored {args.archive} (backup of {manifest['created_at']}) in "
          f"{time.monotonic() - started:.1f} s and verified: integrity ok, "
          f"{len(manifest['tables'])} tables with the manifest's row counts, audit chain "
          f"intact ({result.events} events, head {result.head_hash[:12]}, "
          f"{result.checkpoint})")  # fmt: skip


def cmd_divisions(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    _migrate(args.verbose)
    from rich.progress import Progress

    from fengqiao.jurisdictions.services import division_rows, load_divisions

    provinces = args.province or None
    with Progress(transient=True) as bar:
        task = bar.add_task(
            "Loading divisions (GB/T 2260, 2024)", total=len(division_rows(provinces))
        )
        result = load_divisions(
            actor=None, provinces=provinces, progress=lambda n: bar.update(task, completed=n)
        )
    print(
        f"Divisions: {result.created} added, {result.renamed} renamed, "
        f"{result.unchanged} already current."
    )


def cmd_province(args: argparse.Namespace) -> None:
    _setup_django()
    _check_database()
    _migrate(args.verbose)
    from django.core.management.base import CommandError as DjangoCommandError
    from rich.console import Console

    from fengqiao.demo.management.commands.generate_province import run

    try:
        run(scale=args.scale, seed=args.seed, until=args.until, console=Console())
    except DjangoCommandError as error:
        raise CommandError(str(error)) from None


def _date(text: str) -> object:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_secret(args: argparse.Namespace) -> None:
    print(secrets.token_urlsafe(50))


def cmd_manage(args: argparse.Namespace) -> None:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fengqiao manage", *args.rest])


def cmd_addresses_parse(args: argparse.Namespace) -> None:
    """One JSON object per input line, in order; a line that cannot be read gets ``error``."""
    import json

    from fengqiao.addresses.reading.lines import read_line

    name = args.file if args.file not in (None, "-") else "standard input"
    try:
        source = sys.stdin.buffer if args.file in (None, "-") else open(args.file, "rb")  # noqa: SIM115
    except OSError as error:
        raise CommandError(f"cannot read {name}: {error.strerror}") from None
    out = sys.stdout
    try:
        while True:
            try:
                raw = source.readline()
            except OSError as error:
                raise CommandError(f"cannot read {name}: {error.strerror}") from None
            if not raw:
                break
            out.write(json.dumps(read_line(raw, encoding=args.encoding), ensure_ascii=False) + "\n")
        out.flush()
    except BrokenPipeError:
        # The reader went away (`… | head`): stop quietly, as a Unix filter does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if source is not sys.stdin.buffer:
            source.close()


def cmd_addresses_match(args: argparse.Namespace) -> None:
    from fengqiao.addresses.reading import match_command
    from fengqiao.addresses.reading.matcher import CONFIDENT, DEPLOYMENT_CONFIDENT, Matcher

    try:
        if args.registry:
            entries = match_command.registry_from_csv(args.registry)
        else:
            _setup_django()
            _check_database()
            from django.db import DatabaseError

            from fengqiao.addresses.selectors import deployment_entries

            try:
                entries = deployment_entries()
            except DatabaseError as error:
                raise CommandError(
                    f"cannot read the standard addresses ({error}): run `fengqiao migrate`, "
                    "or give --registry REGISTRY.csv"
                ) from None
            if not entries:
                raise CommandError(
                    "the deployment has no standard addresses: give --registry REGISTRY.csv"
                )
        stream = sys.stdin.buffer if args.file in (None, "-") else open(args.file, "rb")  # noqa: SIM115
    except match_command.ReadError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    # another system's export is free text (the threshold chosen on CCKS); the deployment's
    # own standard addresses are structured (see matcher.DEPLOYMENT_CONFIDENT)
    confident_at = CONFIDENT if args.registry else DEPLOYMENT_CONFIDENT
    with stream:
        match_command.run(Matcher(entries, confident_at=confident_at), stream, sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fengqiao",
        description="Fengqiao (枫桥): the platform of a Fengqiao-style police station.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], None], text: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=text, description=text)
        command.set_defaults(handler=handler)
        return command

    serve = add(
        "serve", cmd_serve, "Migrate, optionally load the demo bureau, and serve the staff web UI."
    )
    serve.add_argument(
        "--demo", action="store_true", help="load (or complete) the demo bureau first"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    serve.add_argument("--verbose", action="store_true", help="list each migration applied")
    serve.add_argument("--no-worker", action="store_true",
                       help="no background worker: a `fengqiao worker` runs it")  # fmt: skip
    worker = add(
        "worker",
        cmd_worker,
        "Run the background task worker and the periodic jobs (production: beside gunicorn).",
    )
    worker.add_argument("--no-schedule", action="store_true",
                        help="tasks only: the periodic jobs run in another worker")  # fmt: skip
    worker.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)

    add("migrate", cmd_migrate, "Apply the database migrations.")
    demo = add("demo", cmd_demo, "Load (or complete) the demo bureau and print its logins.")
    demo.add_argument("--verbose", action="store_true", help="list each migration applied")
    verify = add(
        "audit-verify",
        cmd_audit_verify,
        "Verify the audit chain (hashes, MACs, the last checkpoint); report the first break.",
    )
    verify.add_argument(
        "--checkpoints", action="append", metavar="FILE",
        help="also check against this exported checkpoint file; repeatable",
    )  # fmt: skip
    checkpoint = add(
        "audit-checkpoint",
        cmd_audit_checkpoint,
        "Verify the audit chain and write a signed checkpoint of its head (var/).",
    )
    checkpoint.add_argument(
        "--export", metavar="FILE", help="copy every checkpoint to FILE instead of writing one"
    )
    backup_command = add(
        "backup", cmd_backup,
        "Back up the database, media and var/ files into one archive, while the server runs.",
    )  # fmt: skip
    backup_command.add_argument(
        "dest", nargs="?", metavar="DEST",
        help="archive file or directory (default var/backups/fengqiao-<UTC time>.tar.gz)",
    )  # fmt: skip
    backup_command.add_argument(
        "--include-keys", action="store_true",
        help="also store the audit key and secret key: keep the archive as safely as the key",
    )  # fmt: skip
    restore = add(
        "restore", cmd_restore,
        "Restore an archive of `backup` into the configured database, then verify it.",
    )  # fmt: skip
    restore.add_argument("archive", metavar="ARCHIVE", help="the .tar.gz written by backup")
    restore.add_argument("--force", action="store_true",
                         help="replace a database that already holds data")  # fmt: skip
    divisions = add(
        "divisions", cmd_divisions, "Load the provinces, cities and counties of GB/T 2260 (2024)."
    )
    divisions.add_argument("--province", action="append", metavar="CODE",
                           help="only this province (e.g. 140000); repeatable")  # fmt: skip
    divisions.add_argument("--verbose", action="store_true", help="list each migration applied")
    province = add(
        "province",
        cmd_province,
        "Generate the synthetic province (甘肃省, simulated) into an empty database.",
    )
    province.add_argument("--scale", type=float, default=0.01,
                          help="fraction of full size, 0 < scale <= 1 (default 0.01)")  # fmt: skip
    province.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    province.add_argument("--until", type=_date, default=None, metavar="YYYY-MM-DD",
                          help="last local day of the records (default yesterday)")  # fmt: skip
    province.add_argument("--verbose", action="store_true", help="list each migration applied")
    addresses = sub.add_parser(
        "addresses",
        help="Read free-text addresses: parse them into their elements, match them.",
        description="Read free-text addresses as people write them.",
    )
    addresses_sub = addresses.add_subparsers(dest="addresses_command", required=True,
                                             metavar="SUBCOMMAND")  # fmt: skip
    parse = addresses_sub.add_parser(
        "parse",
        help="one address a line → one JSON object a line with its elements",
        description=(
            "Read addresses, one a line, from FILE or standard input; print one JSON object a "
            "line, in input order, with the keys province, city, county, township, community, "
            'road, door_number, compound, building, unit, floor, room ("" when absent) and '
            "rest. A line that cannot be read (empty, too long, not text, no Chinese) also "
            'gets an "error" key. Exit code 0 when the input could be read, 2 when not.'
        ),
    )
    parse.set_defaults(handler=cmd_addresses_parse)
    parse.add_argument("file", nargs="?", metavar="FILE", help="input file (default: stdin)")
    parse.add_argument("--encoding", default="utf-8",
                       help="input encoding (default utf-8; gb18030 for GBK ledgers)")  # fmt: skip
    match_text = (
        "Match addresses (FILE or standard input, one per line) against a registry: one JSON "
        'line each, {"query", "matches": [{"code", "score", "confident"}]}, in input order, '
        "best first, at most 5; an unreadable line gets an error. Exit code 0 when the input "
        "and the registry could be read, 2 when not."
    )
    match = addresses_sub.add_parser("match", help=match_text, description=match_text)
    match.set_defaults(handler=cmd_addresses_match)
    match.add_argument("--registry", metavar="REGISTRY.csv",
                       help="a CSV with the header code,text (default: this deployment's "
                       "standard addresses)")  # fmt: skip
    match.add_argument("file", nargs="?", metavar="FILE", help="input file (default: stdin)")
    add("secret", cmd_secret, "Print a new random secret key for FENGQIAO_SECRET_KEY.")
    manage = add(
        "manage", cmd_manage, "Run a Django management command (e.g. `manage check --deploy`)."
    )
    manage.add_argument(
        "rest", nargs=argparse.REMAINDER, help="the management command and its arguments"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except CommandError as error:
        print(f"fengqiao: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
