"""Command-line entry point: ``dxdesk`` (no arguments opens the window) and subcommands.

Each capability registers its own subcommands from a small ``cli`` module so this
file stays a dispatcher. A subcommand's handler returns the exit code. Errors that
a user can fix are raised as :class:`UserError` and printed as one English line.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from dxdesk import __version__

log = logging.getLogger(__name__)

# Modules with a ``register(subparsers)`` function; missing ones are skipped so a
# trimmed build (e.g. a supporter laptop) still starts.
COMMAND_MODULES = (
    "dxdesk.doctor",
    "dxdesk.cardreader.cli",
    "dxdesk.forms.cli",
    "dxdesk.store.cli",
    "dxdesk.counter.cli",
    "dxdesk.support.cli",
    "dxdesk.security.cli",
    "dxdesk.selftest",
)


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
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
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == name or name.startswith(exc.name + ".")):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from dxdesk.log import setup_logging

    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        # The window: skip importing every subcommand's module (a measurable part of cold start).
        try:
            setup_logging(logging.INFO)
        except OSError as exc:
            print(f"dxdesk: cannot open the log file: {exc}", file=sys.stderr)
            return 2
        from dxdesk.ui.app import run_app

        return run_app()
    parser = build_parser()
    args = parser.parse_args(argv)
    from dxdesk import training
    from dxdesk.paths import app_paths

    if getattr(args, "training", False):  # a parser without the flag: tests' stand-in parsers
        training.activate()  # before any command looks up its folders (dxdesk.paths.app_paths)
    else:
        training.activate_from_settings_file(app_paths())
    try:
        log_file = setup_logging(logging.DEBUG if args.verbose else logging.INFO, console=args.command is not None)
    except OSError as exc:
        print(f"dxdesk: cannot open the log file: {exc}", file=sys.stderr)
        return 2
    if args.self_test:
        from dxdesk.selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from dxdesk.ui.app import run_app  # Qt is imported only for the window

        return run_app()
    from dxdesk.config import SettingsError

    try:
        return int(args.func(args) or 0)
    except (UserError, SettingsError) as exc:
        print(f"dxdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A bug, not bad input. The console gets one line; the log file gets the frames, through
        # the redaction filter (a plain traceback could quote a resident's name or number).
        log.exception("dxdesk %s failed", args.command)
        print(f"dxdesk: unexpected error ({type(exc).__name__}); details are in the log file {log_file}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
