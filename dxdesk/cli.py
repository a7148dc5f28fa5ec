"""Command-line entry point: ``dxdesk`` (no arguments opens the window) and subcommands.

Each capability registers its own subcommands from a small ``cli`` module so this
file stays a dispatcher. A subcommand's handler returns the exit code. Errors that
a user can fix are :class:`~dxdesk.errors.DxError` (argument problems: :class:`UserError`)
and printed as one English line with exit code 2; anything else is a bug.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from dxdesk import __version__
from dxdesk.errors import DetailedError, as_dx_error

log = logging.getLogger(__name__)

# Each top-level command -> the module whose ``register(subparsers)`` adds it. Running a command
# imports only its module (PDF, database and keyring libraries cost most of a start-up); the full
# parser (``--help``, tests) imports them all. Missing modules are skipped so a trimmed build
# (e.g. a supporter laptop) still starts. tests/foundation/test_cli_startup.py checks that each
# module registers exactly the commands listed for it here.
COMMANDS: dict[str, str] = {
    "doctor": "dxdesk.doctor",
    "card": "dxdesk.cardreader.cli",
    "form": "dxdesk.forms.cli",
    "db": "dxdesk.store.cli",
    "sync": "dxdesk.store.cli",
    "procedures": "dxdesk.counter.cli",
    "visit": "dxdesk.counter.cli",
    "support": "dxdesk.support.cli",
    "account": "dxdesk.security.cli",
    "audit": "dxdesk.security.cli",
    "purge": "dxdesk.security.cli",
    "handoff": "dxdesk.handoff.cli",
    "self-test": "dxdesk.selftest",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))  # in the order --help lists them


class UserError(DetailedError):
    """A problem the user of a command can fix, worded in English for the CLI; printed without a traceback.

    Errors raised by the core are DxErrors already and need no wrapping: ``main`` prints
    the English text of any DxError. UserError is for what only the command line knows
    (a missing argument, a file that exists)."""

    ja_lead = "コマンドを実行できません"


def build_parser(modules: tuple[str, ...] | None = None) -> argparse.ArgumentParser:
    """The parser with the commands of ``modules`` (None: every command)."""
    parser = argparse.ArgumentParser(
        prog="dxdesk",
        description="dxdesk: no-writing counter and digital support desk. Run without arguments to open the window.",
    )
    parser.add_argument("--version", action="version", version=f"dxdesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to the log file")
    parser.add_argument("--self-test", action="store_true", help="check that this installation works, then exit")
    parser.add_argument("--training", action="store_true",
                        help="training mode (研修モード): fictional cards, a separate never-synced database, "
                             "見本 on every printed page; same as [general] training = true in settings.toml")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if modules is None else modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == name or name.startswith(exc.name + ".")):
                continue
            raise
        module.register(sub)
    return parser


def _modules_for(argv: list[str]) -> tuple[str, ...] | None:
    """Which command modules parsing ``argv`` needs: its command's, none (``--version``), or all (help, typos)."""
    for token in argv:
        if token in ("-h", "--help"):
            return None  # the overview lists every command
        if token == "--" or not token.startswith("-"):
            module = COMMANDS.get(token)
            return (module,) if module is not None else None  # unknown: argparse names the real ones
    return ()  # options only (--version, --self-test): no command module at all


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args``; with ``--json``, a usage error is also the error object on stdout.

    A kiosk or RPA robot reads only stdout (dxdesk.jsonout): a mistyped date must not leave it empty.
    """
    if "--json" not in argv:
        return parser.parse_args(argv)
    import contextlib
    import io

    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 2:
            from dxdesk.jsonout import emit

            lines = said.getvalue().strip().splitlines()
            message = lines[-1].split(": error: ", 1)[-1] if lines else "the command line is not valid"
            emit({"error": "invalid_request", "message": message, "tries_left": None})
        raise
    finally:
        sys.stderr.write(said.getvalue())  # the usage lines as without --json


def _log_file_problem(exc: OSError) -> str:
    """The sentence for a log file that cannot be opened (read-only or full disk, no permission): what to do."""
    where = exc.filename or "the log folder"
    return (f"dxdesk: cannot write the log file {where}: {exc.strerror or exc}. Make its folder writable for "
            "this user (or set DXDESK_HOME to a writable folder), then try again.")


def _undecodable_argument(argv: list[str]) -> int:
    """The 1-based position of the first argument holding bytes the terminal's encoding could not decode, or 0.

    Python keeps such bytes as lone surrogates, which fail later wherever the text is stored or
    printed. A file path is the exception (a folder from an old share may have such names, and
    the OS takes them back as they came); it is recognised by its existing parent folder.
    """
    for position, token in enumerate(argv, start=1):
        if not any("\udc80" <= ch <= "\udcff" for ch in token):
            continue
        value = token.split("=", 1)[1] if token.startswith("--") and "=" in token else token
        if os.sep in value and os.path.isdir(os.path.dirname(value) or "."):
            continue
        return position
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        # The window: skip importing every subcommand's module (a measurable part of cold start).
        from dxdesk.log import setup_logging

        try:
            setup_logging(logging.INFO)
        except OSError as exc:
            print(_log_file_problem(exc), file=sys.stderr)
            return 2
        from dxdesk.ui.app import run_app

        return run_app()
    undecodable = _undecodable_argument(argv)
    if undecodable:
        print(f"dxdesk: argument {undecodable} is not valid text: it holds bytes that are not UTF-8 (typed or "
              "pasted in another encoding, e.g. Shift_JIS?). Retype it and try again.", file=sys.stderr)
        return 2
    parser = build_parser(_modules_for(argv))
    args = _parse(parser, argv)  # --version and --help exit here, before anything below is imported
    from dxdesk import training
    from dxdesk.log import setup_logging
    from dxdesk.paths import app_paths

    if getattr(args, "training", False):  # a parser without the flag: tests' stand-in parsers
        training.activate()  # before any command looks up its folders (dxdesk.paths.app_paths)
    else:
        training.activate_from_settings_file(app_paths())
    try:
        log_file = setup_logging(logging.DEBUG if args.verbose else logging.INFO, console=args.command is not None)
    except OSError as exc:
        print(_log_file_problem(exc), file=sys.stderr)
        return 2
    if args.self_test:
        from dxdesk.selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from dxdesk.ui.app import run_app  # Qt is imported only for the window

        return run_app()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Whoever read the output went away (`dxdesk audit list | head`): not a failure of the command.
        # Standard output is pointed at nothing so the interpreter's last flush cannot raise again.
        log.info("dxdesk %s: the output pipe was closed by its reader", args.command)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a closed pipe
    except EOFError:
        # A prompt (password, PIN, "Continue?") met the end of its input: a script piped too few
        # lines, or the terminal was closed. The command stops at that prompt, before what it asked for.
        log.info("dxdesk %s: input ended at a prompt", args.command)
        print("dxdesk: the input ended before a prompt was answered, so the command stopped there. Run it "
              "again and type the answer, or give one line per prompt on standard input.", file=sys.stderr)
        return 2
    except Exception as exc:
        error = as_dx_error(exc)
        if error is not None:
            # Something the user can act on: its sentence, in English. The log gets the types only
            # (an exception's text could quote a record), enough for support to see what the cause was.
            cause = error.__cause__ if error.__cause__ is not None else exc
            log.info("dxdesk %s refused: %s (%s)", args.command, type(error).__name__, type(cause).__name__)
            print(f"dxdesk: {error.message.en}", file=sys.stderr)
            return 2
        # A bug, not bad input. The console gets one line; the log file gets the frames, through
        # the redaction filter (a plain traceback could quote a resident's name or number).
        log.exception("dxdesk %s failed", args.command)
        print(f"dxdesk: unexpected error ({type(exc).__name__}); details are in the log file {log_file}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
