"""Acting for a signed-in person from the command line: ``--as LOGIN``, the password, the role checks' errors.

Every CLI command that reads personal data or changes anything signs in first, so the role
checks and the audit trail work exactly as in the window. This module is the one place that:

- adds ``--as LOGIN`` (and, where scripts need it, ``--password-stdin``) to a parser;
- reads the password from a hidden prompt (getpass), or as one line of standard input for
  scripts and kiosk front ends - never from argv or the environment, where it would land in
  shell history and process listings;
- signs in (and, for an account whose password an administrator set, has it replaced first);
- turns the services' bilingual refusals into one English line (:func:`user_errors`).

Qt-free and cheap to import: the database, keyring and audit modules load only when a command runs.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dxdesk.cli import UserError

AS_HELP = "sign in as this account (password is asked)"
PASSWORD_STDIN_HELP = "read the password as one line from standard input instead of a hidden prompt (scripts)"
ANY_ALLOWED = "an account allowed to do it"  # who the missing --as message asks for, unless a command says
PASSWORD_ATTEMPTS = 3


def add_as(p: argparse.ArgumentParser, help: str = AS_HELP, *, password_stdin: bool = False) -> None:
    """``--as LOGIN`` on ``p``; with ``password_stdin``, also ``--password-stdin`` for scripts."""
    p.add_argument("--as", dest="as_login", metavar="LOGIN", help=help)
    if password_stdin:
        p.add_argument("--password-stdin", action="store_true", help=PASSWORD_STDIN_HELP)


def require_login(login: str | None, what: str, who: str = ANY_ALLOWED) -> str:
    """The ``--as`` login, or the one-line refusal naming what needs it (nothing asked, nothing recorded)."""
    if not login:
        raise UserError(f"{what} needs --as LOGIN ({who})")
    return login


def read_password(login: str, *, from_stdin: bool = False, prompt: str | None = None) -> str:
    """The password for ``login``: the first line of standard input, or a hidden prompt."""
    if from_stdin:
        return _valid_text(sys.stdin.readline().rstrip("\r\n"))
    return _valid_text(getpass.getpass(prompt or f"Password for {login}: "))


def _valid_text(password: str) -> str:
    """A password read from bytes that are not UTF-8 (a script in another encoding) cannot be hashed: say so."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError("the password given holds bytes that are not UTF-8 text (a script or terminal in "
                        "another encoding?); give it as UTF-8 and try again") from None
    return password


def sign_in(auth: Any, login: str | None, what: str, *, who: str = ANY_ALLOWED, password_stdin: bool = False,
            change_if_required: bool = True) -> Any:
    """Sign ``login`` in on ``auth`` (an AuthService) for ``what``; returns the session.

    A password typed at the prompt that an administrator set (a new or reset account) must be
    replaced before anything else, as in the window. A password piped on standard input has no
    terminal to choose a new one on, so that path signs in as it is (the service's own rules apply).
    """
    login = require_login(login, what, who)
    password = read_password(login, from_stdin=password_stdin)
    session = auth.sign_in(login, password)
    if change_if_required and not password_stdin and session.must_change_password:
        print(f"First sign-in of {session.login} with a password an administrator set: choose your own now.",
              file=sys.stderr)
        session = auth.change_password(session, password, new_password())
        print("password changed", file=sys.stderr)
    return session


def signer(args: argparse.Namespace, what: str, who: str = "an administrator") -> Callable[[Any], Any]:
    """The sign-in step the maintenance use cases call back (:mod:`dxdesk.app.maintenance`), from ``args``.

    The refusal for a missing ``--as`` comes now, before anything is opened.
    """
    login = require_login(args.as_login, what, who)

    def sign_in_step(auth: Any) -> Any:
        return sign_in(auth, login, what, who=who, password_stdin=getattr(args, "password_stdin", False),
                       change_if_required=False)

    return sign_in_step


def new_password(prompt: str = "New password") -> str:
    """A new password typed twice on hidden prompts (three tries)."""
    from dxdesk.security.passwords import MIN_PASSWORD_LENGTH

    for _ in range(PASSWORD_ATTEMPTS):
        first = _valid_text(getpass.getpass(f"{prompt} (at least {MIN_PASSWORD_LENGTH} characters): "))
        second = _valid_text(getpass.getpass(f"{prompt} again: "))
        if first == second:
            return first
        print("The two passwords differ; try again.", file=sys.stderr)
    raise UserError("the passwords did not match")


@contextmanager
def open_auth(settings: Any = None) -> Iterator[tuple[Any, Any]]:
    """(database, AuthService with its AuditLog as ``.audit``) for a CLI command; closes the database."""
    from dxdesk.config import load_settings
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.auth import AuthService
    from dxdesk.store.database import open_database
    from dxdesk.store.errors import StoreError

    try:
        settings = settings or load_settings()
        db = open_database(settings)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        yield db, AuthService(db, AuditLog(db), settings.security)
    finally:
        db.close()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the services' bilingual errors into one English CLI line."""
    from dxdesk.security.audit import AuditError
    from dxdesk.security.auth import AuthError
    from dxdesk.security.mynumber import ReasonError
    from dxdesk.security.permissions import PermissionDeniedError
    from dxdesk.store.errors import StoreError

    try:
        yield
    except (AuthError, PermissionDeniedError, AuditError, ReasonError) as exc:
        raise UserError(exc.message.en) from exc  # the cause names the kind for --json (dxdesk.jsonout)
    except StoreError as exc:
        raise UserError(str(exc)) from exc
    except ValueError as exc:
        raise UserError(str(exc)) from None


def confirmer(args: argparse.Namespace) -> Callable[[str], bool]:
    """The "Continue? [y/N]" step of a command that destroys or rolls back; ``--yes`` answers for scripts."""
    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise UserError(f"{question} Add --yes to confirm (there is no terminal to ask on).")
        return input(f"{question}\nContinue? [y/N] ").strip().lower() in ("y", "yes")

    return confirm
