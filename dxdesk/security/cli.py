"""``dxdesk account ...``, ``dxdesk audit ...`` and ``dxdesk purge``.

Commands that act for a person sign in first (``--as LOGIN``, password asked with
getpass, never taken from the command line or the environment), so the role checks
and the audit trail work exactly as in the window. The only exception is creating
the very first administrator on a fresh installation. The sign-in itself is
:mod:`dxdesk.clisession`, shared by every command that acts for a person.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dxdesk.cli import UserError
from dxdesk.clisession import add_as, new_password, open_auth, read_password, require_login, sign_in, user_errors
from dxdesk.jsonout import add_json_flag, emit_items, json_command
from dxdesk.timeutil import desk_clock, local_midnight


def _parse_day(text: str | None, end: bool = False) -> datetime | None:
    """YYYY-MM-DD on the desk's calendar (dxdesk.timeutil); an end date includes the whole day."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError(f"bad date {text!r}; use YYYY-MM-DD") from None
    if end:
        day += timedelta(days=1)
    return local_midnight(day)


# ----------------------------------------------------------------- account
def _account_add(args: argparse.Namespace) -> int:
    with open_auth() as (_db, auth), user_errors():
        if auth.needs_first_admin():
            if args.role not in (None, "administrator"):
                raise UserError("there are no accounts yet: the first account must be an administrator")
            password = new_password()
            session = auth.create_first_admin(args.login, args.name or args.login, password)
            print(f"created the first administrator {session.login}")
            return 0
        admin = sign_in(auth, args.as_login, "adding an account")
        password = new_password(f"Password for the new account {args.login}")
        info = auth.create_account(admin, args.login, args.name or args.login, args.role or "clerk", password)
        print(f"created {info.login} ({info.role.value}); the first sign-in must set a new password")
    return 0


def _account_list(args: argparse.Namespace) -> int:
    with open_auth() as (_db, auth), user_errors():
        admin = sign_in(auth, args.as_login, "listing accounts")
        now = auth.clock()
        print(f"{'login':<20} {'role':<14} {'status':<10} display name")
        accounts = auth.list_accounts(admin)
        for info in accounts:
            status = "inactive" if not info.active else ("locked" if info.is_locked(now) else "active")
            if info.active and info.must_change_password:
                status += "*"  # the password an administrator set has not been replaced yet
            print(f"{info.login:<20} {info.role.value:<14} {status:<10} {info.display_name}")
        if any(i.active and i.must_change_password for i in accounts):
            print("* must set a new password at the next sign-in")
        for info in accounts:
            if info.active and info.is_locked(now) and info.locked_until is not None:
                print(f"{info.login} is locked until {desk_clock(info.locked_until)} "
                      f"(to lift it now: dxdesk account unlock {info.login} --as {args.as_login or 'ADMIN'})")
    return 0


def _account_passwd(args: argparse.Namespace) -> int:
    with open_auth() as (_db, auth), user_errors():
        if args.as_login and args.as_login.strip().lower() != args.login.strip().lower():
            admin = sign_in(auth, args.as_login, "resetting a password")
            auth.reset_password(admin, args.login, new_password(f"New password for {args.login}"))
            print(f"password of {args.login} reset; the account is unlocked and its next sign-in must set a new "
                  "password")
            return 0
        old = read_password(args.login, prompt=f"Current password for {args.login}: ")
        session = auth.sign_in(args.login, old)
        auth.change_password(session, old, new_password())
        print("password changed")
    return 0


def _account_deactivate(args: argparse.Namespace) -> int:
    with open_auth() as (_db, auth), user_errors():
        admin = sign_in(auth, args.as_login, "deactivating an account")
        info = auth.deactivate_account(admin, args.login)
        print(f"{info.login} deactivated")
    return 0


def _account_unlock(args: argparse.Namespace) -> int:
    with open_auth() as (_db, auth), user_errors():
        admin = sign_in(auth, args.as_login, "unlocking an account")
        auth.unlock_account(admin, args.login)
        print(f"{args.login} unlocked")
    return 0


def _account_sign_pending(args: argparse.Namespace) -> int:
    with open_auth() as (_db, auth), user_errors():
        admin = sign_in(auth, args.as_login, "signing account changes")
        signed = auth.sign_pending(admin)
        print(f"signed: {', '.join(signed)}" if signed
              else "nothing to sign: every account carries the town's signature")
    return 0


# ------------------------------------------------------------------- audit
def _audit_service(db: Any, auth: Any) -> Any:
    from dxdesk.security.auditview import AuditService

    return AuditService(db, auth.audit)


def _audit_verify(args: argparse.Namespace) -> int:
    require_login(args.as_login, "verifying the audit log")
    with open_auth() as (db, auth), user_errors():
        # The chain and the head note are checked before the sign-in appends its own event.
        _session, check = _audit_service(db, auth).verify_before_sign_in(
            lambda: sign_in(auth, args.as_login, "verifying the audit log"), full=args.full)
    if not check.chains:
        print("audit log is empty")
    for desk, result in sorted(check.chains.items()):
        print(f"desk {desk}: {result.describe()}")
    if check.triggers:
        print(f"audit table: {check.triggers}")
    return 0 if check.ok else 1


def _audit_repair_triggers(args: argparse.Namespace) -> int:
    with open_auth() as (db, auth), user_errors():
        admin = sign_in(auth, args.as_login, "recreating the audit triggers")
        recreated = _audit_service(db, auth).repair_triggers(admin)
    print(f"recreated {', '.join(recreated)}" if recreated else "the append-only triggers were all present")
    return 0


@json_command
def _audit_list(args: argparse.Namespace) -> int:
    from dxdesk.security.auditchain import utc_iso

    with open_auth() as (db, auth), user_errors():
        session = sign_in(auth, args.as_login, "listing the audit log")
        rows = _audit_service(db, auth).list_events(
            session, _parse_day(args.date_from), _parse_day(args.date_to, end=True), args.type, args.limit)
    if args.json:
        emit_items({"seq": row.record.seq, "occurred_at": utc_iso(row.record.occurred_at),
                    "actor": row.actor_login, "desk_id": row.record.desk_id, "event_type": row.record.event_type,
                    "result": row.record.result, "items": list(row.record.items), "jimu_type": row.record.jimu_type,
                    "reason": row.record.reason, "details": row.record.details} for row in rows)
        return 0
    for row in rows:
        r = row.record
        items = ",".join(r.items) or "-"
        print(f"{r.seq:>6} {utc_iso(r.occurred_at)} {row.actor_login or '-':<16} {r.event_type:<18} "
              f"{r.result:<8} items={items} 事務種別={r.jimu_type or '-'} 処理事由={r.reason or '-'}")
    return 0


def _audit_export(args: argparse.Namespace) -> int:
    from dxdesk.outputfiles import check_output

    with user_errors():
        check_output(Path(args.csv), args.force)  # before the sign-in: nothing to audit for a refused path
    with open_auth() as (db, auth), user_errors():
        session = sign_in(auth, args.as_login, "exporting the audit log")
        count = _audit_service(db, auth).export_csv(
            session, Path(args.csv), _parse_day(args.date_from), _parse_day(args.date_to, end=True))
    print(f"wrote {count} event(s) to {args.csv}")
    return 0


# ------------------------------------------------------------------- purge
def _purge(args: argparse.Namespace) -> int:
    from dxdesk.security.retention import RetentionService

    if not args.dry_run and not args.yes:
        if not sys.stdin.isatty():
            raise UserError("purging erases personal data for good; add --yes to confirm (or try --dry-run)")
        if input("Erase personal data past the retention period for good? [y/N] ").strip().lower() not in ("y", "yes"):
            raise UserError("cancelled; nothing was erased")
    with open_auth() as (db, auth), user_errors():
        session = sign_in(auth, args.as_login, "purging old personal data")
        report = RetentionService(db, auth.audit, auth.settings).purge(session, dry_run=args.dry_run)
    print(report.summary())
    return 0


def register(subparsers: Any) -> None:
    acc = subparsers.add_parser("account", help="clerk accounts: add, list, passwd, deactivate, unlock")
    accsub = acc.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    p = accsub.add_parser("add", help="create an account (the first one, on a new install, is the administrator)")
    p.add_argument("login")
    p.add_argument("--name", help="display name (defaults to the login)")
    p.add_argument("--role", choices=["clerk", "supporter", "supervisor", "administrator"])
    add_as(p)
    p.set_defaults(func=_account_add)
    p = accsub.add_parser("list", help="list accounts (administrator)")
    add_as(p)
    p.set_defaults(func=_account_list)
    p = accsub.add_parser("passwd", help="change your password, or with --as ADMIN reset someone's")
    p.add_argument("login")
    add_as(p)
    p.set_defaults(func=_account_passwd)
    p = accsub.add_parser("deactivate", help="stop an account from signing in (administrator)")
    p.add_argument("login")
    add_as(p)
    p.set_defaults(func=_account_deactivate)
    p = accsub.add_parser("unlock", help="lift a sign-in lockout (administrator)")
    p.add_argument("login")
    add_as(p)
    p.set_defaults(func=_account_unlock)
    p = accsub.add_parser("sign-pending", help="sign this desk's account changes with the town key (administrator), "
                                                "e.g. a clerk's own new password, so the other desks accept them")
    add_as(p)
    p.set_defaults(func=_account_sign_pending)

    aud = subparsers.add_parser("audit", help="audit log: verify the hash chain, list, export CSV (supervisor)")
    audsub = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = audsub.add_parser("verify", help="check the hash chain, head and triggers before signing in; exits 1 "
                                         "naming the first bad event")
    add_as(p)
    p.add_argument("--full", action="store_true",
                   help="re-verify every event, not only those after the last verified checkpoint")
    p.set_defaults(func=_audit_verify)
    p = audsub.add_parser("repair-triggers", help="recreate missing append-only triggers (administrator; audited)")
    add_as(p)
    p.set_defaults(func=_audit_repair_triggers)
    for name, func, text in (("list", _audit_list, "show events"), ("export", _audit_export, "write a CSV")):
        p = audsub.add_parser(name, help=text)
        p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (local time)")
        p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, included")
        add_as(p)
        p.set_defaults(func=func)
    audsub.choices["list"].add_argument("--type", help="only this event type, e.g. card.read")
    audsub.choices["list"].add_argument("--limit", type=int, help="at most this many events")
    add_json_flag(audsub.choices["list"])
    audsub.choices["export"].add_argument("--csv", required=True, metavar="OUT", help="CSV file to write (UTF-8 BOM)")
    audsub.choices["export"].add_argument("--force", action="store_true", help="replace OUT if it exists")

    p = subparsers.add_parser(
        "purge", help="erase personal data past the retention period; old audit events as a chain prefix")
    p.add_argument("--dry-run", action="store_true", help="only report what would be removed")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")
    add_as(p)
    p.set_defaults(func=_purge)
