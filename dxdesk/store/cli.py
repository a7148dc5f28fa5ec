"""``dxdesk db ...`` and ``dxdesk sync`` subcommands."""
from __future__ import annotations

from contextlib import closing
import argparse
import getpass
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dxdesk.cli import UserError
from dxdesk.config import load_settings
from dxdesk.jsonout import add_json_flag, emit, json_command
from dxdesk.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from dxdesk.config import StoreSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="local database: status, upgrade, backup, restore, keys, server")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = dbsub.add_parser("status", help="show schema revision (current vs head), pending sync and key storage")
    add_json_flag(p)
    p.set_defaults(func=_status)
    p = dbsub.add_parser("upgrade", help="migrate the database schema to the newest revision (backup first; admin)")
    _add_sign_in(p)
    p.set_defaults(func=_upgrade)
    p = dbsub.add_parser("backup", help="write a consistent copy of the database to OUT (administrator)")
    p.add_argument("out", type=Path)
    p.add_argument("--force", action="store_true", help="replace OUT if it exists (never the database itself)")
    _add_sign_in(p)
    p.set_defaults(func=_backup)
    p = dbsub.add_parser("restore", help="replace the database with IN after checking it (administrator; the "
                                         "current file is kept in backups/)")
    p.add_argument("source", type=Path, metavar="IN")
    p.add_argument("--recovery-sheet", metavar="FILE|-", default=None,
                   help="new PC after a lost one: recover the backup's keys with the town recovery secret "
                        "(the USB file, or - to type it from the sheet)")
    _add_sign_in(p, confirm=True)
    p.set_defaults(func=_restore)
    p = dbsub.add_parser("rotate-key", help="re-encrypt personal fields under a new key (administrator; old keys "
                                            "kept for backups)")
    _add_sign_in(p, confirm=True)
    p.set_defaults(func=_rotate_key)
    from dxdesk.store.recoverycli import register_recovery

    register_recovery(dbsub)
    from dxdesk.store.benchsynccli import register_bench_sync

    register_bench_sync(dbsub)
    p = dbsub.add_parser("set-server", help="configure the central PostgreSQL (administrator; password asked, "
                                            "kept in keyring)")
    p.add_argument("url", help="e.g. postgresql://dxdesk@server.example/dxdesk ('' to disable)")
    p.add_argument("--no-password", action="store_true", help="server needs no password (e.g. certificate auth)")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", type=Path, metavar="PEM",
                     help="the town's CA certificate: TLS with full verification (sslmode=verify-full)")
    tls.add_argument("--pin-sha256", metavar="HEX",
                     help="pin the server's own certificate by its SHA-256 fingerprint (self-signed servers)")
    tls.add_argument("--insecure-no-tls", action="store_true",
                     help="LAB ONLY: plaintext, server not authenticated (recorded in the audit log)")
    _add_sign_in(p)
    p.set_defaults(func=_set_server)
    p = dbsub.add_parser(
        "join", help="join this desk to the town's server (an administrator of the town signs in)",
        description="Checks ADMIN's password against the accounts on the server, shows the town key's "
                    "fingerprint to compare with another desk's `dxdesk db status`, pins it, resolves this "
                    "desk's accounts (docs/sync.md) and syncs. The server password goes to the keyring.")
    p.add_argument("url", help="e.g. postgresql://dxdesk@server.example/dxdesk")
    p.add_argument("--as", dest="as_login", required=True, metavar="ADMIN", help="a town administrator's login")
    p.add_argument("--no-password", action="store_true", help="server needs no password (e.g. certificate auth)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read ADMIN's password from the first line of standard input (scripts)")
    p.add_argument("--fingerprint", metavar="FP",
                   help="the town key fingerprint you expect (from another desk's `dxdesk db status`); "
                        "without it you are asked to compare")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", type=Path, metavar="PEM", help="as for set-server: the town's CA certificate")
    tls.add_argument("--pin-sha256", metavar="HEX", help="as for set-server: pin the server's certificate")
    tls.add_argument("--insecure-no-tls", action="store_true",
                     help="LAB ONLY: plaintext, server not authenticated (recorded in the audit log)")
    p.set_defaults(func=_join)
    p = dbsub.add_parser("work-offline", help="switch offline mode on or off (administrator; the status bar switch)")
    p.add_argument("state", choices=("on", "off"))
    _add_sign_in(p)
    p.set_defaults(func=_work_offline)

    s = subparsers.add_parser(
        "sync", help="send waiting records to the configured server and pull shared data, once (as the desk, "
                     "or as --as LOGIN)")
    _add_sign_in(s)
    s.add_argument("--retry-set-aside", action="store_true",
                   help="first put the records the server refused back in the queue (after fixing the cause)")
    s.set_defaults(func=_sync)


def _add_sign_in(p: argparse.ArgumentParser, confirm: bool = False) -> None:
    p.add_argument("--as", dest="as_login", metavar="LOGIN", help="sign in as this account (password is asked)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password as one line from standard input instead of a hidden prompt (scripts)")
    if confirm:
        p.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")


def _signer(args: argparse.Namespace, what: str) -> "Callable[[Any], Any]":
    """The maintenance use cases' sign-in step: --as LOGIN, password on a hidden prompt or stdin."""
    if not args.as_login:
        raise UserError(f"{what} needs --as LOGIN (an administrator)")

    def sign_in(auth: Any) -> Any:
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(f"Password for {args.as_login}: ")
        return auth.sign_in(args.as_login, password)

    return sign_in


def _confirmer(args: argparse.Namespace) -> "Callable[[str], bool]":
    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise UserError(f"{question} Add --yes to confirm (there is no terminal to ask on).")
        return input(f"{question}\nContinue? [y/N] ").strip().lower() in ("y", "yes")

    return confirm


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


@json_command
def _status(args: argparse.Namespace) -> int:
    from dxdesk.store import migrate
    from dxdesk.store.database import create_sqlite_engine
    from dxdesk.store.keys import key_storage_description

    doc: dict[str, Any] = {}

    def show(key: str, value: Any, line: str | None) -> None:
        """One fact: into --json's document under ``key``, else its line of text."""
        doc[key] = value
        if line is not None:
            say(line)

    def say(line: str) -> None:
        if not args.json:
            print(line)

    def finish(code: int) -> int:
        if args.json:
            emit(doc)
        return code

    paths = app_paths()
    settings = load_settings(paths)
    head = migrate.head_revision()
    show("database", paths.database_file, f"database:  {paths.database_file}")
    from dxdesk.store.database import DeskHistoryError, refuse_reinitialising

    try:
        refuse_reinitialising(paths.database_file, paths, settings.general.desk_id)
    except DeskHistoryError as exc:
        show("schema", {"current": None, "head": head, "problem": exc.message.en},
             f"schema:    NONE: {exc.message.en}")
        return finish(1)
    if not paths.database_file.exists():
        show("schema", {"current": None, "head": head, "up_to_date": False},
             f"schema:    (no database yet) -> head {head}")
    else:
        engine = create_sqlite_engine(paths.database_file)
        try:
            current = migrate.current_revision(engine)
            aside: list[tuple[str, str, str]] = []
            problems: list[tuple[str, str]] = []
            last_error = None
            with engine.connect() as conn:
                pending = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").scalar() \
                    if current else 0
                columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(outbox)")}
                if "set_aside_at" in columns:  # an older schema (upgraded on next start) has none
                    aside = [tuple(r) for r in conn.exec_driver_sql(
                        "SELECT table_name, record_id, max(set_aside_reason) FROM outbox "
                        "WHERE sent_at IS NULL AND set_aside_at IS NOT NULL GROUP BY table_name, record_id")]
                    problems = [tuple(r) for r in conn.exec_driver_sql(
                        "SELECT name, last_error FROM sync_state WHERE name LIKE 'problem:%'")]
                    last_error = conn.exec_driver_sql(
                        "SELECT last_error FROM sync_state WHERE name = 'push'").scalar()
        except Exception as exc:
            from dxdesk.store.errors import translate_error

            translated = translate_error(exc)  # read-only folder, locked, corrupt: the sentence, not the driver's
            if translated is exc:
                raise
            raise translated from exc
        finally:
            engine.dispose()
        state = "up to date" if current == head else "upgrade needed (dxdesk db upgrade)"
        show("schema", {"current": current or None, "head": head, "up_to_date": current == head},
             f"schema:    current {current or '(empty)'}, head {head}: {state}")
        show("unsent", pending, f"unsent:    {pending} record(s)" + (f", of which set aside: {len(aside)}" if aside else ""))
        show("set_aside", [{"table": t, "record": r, "reason": why} for t, r, why in aside], None)
        for table, record, reason in aside:
            say(f"set aside: {table} {record}: {reason}")
        if aside:
            say("           fix the cause, then: dxdesk sync --retry-set-aside")
        show("last_sync_error", last_error or None, f"last sync: FAILED: {last_error}" if last_error else None)
        show("problems", {name.removeprefix("problem:"): error for name, error in problems}, None)
        for name, error in problems:
            say(f"problem:   {name.removeprefix('problem:')}: {error}")
    show("key", key_storage_description(paths, settings.general.desk_id),
         f"key:       {key_storage_description(paths, settings.general.desk_id)}")
    if paths.database_file.exists():
        from dxdesk.store.escrow import recovery_status

        recovery = recovery_status(paths.database_file)
        show("recovery", recovery, f"recovery:  {recovery}")
    from dxdesk.store.servertls import redacted_url

    server = redacted_url(settings.store.server_url) or "(none: local only)"  # an old file may hold ?password=
    show("server", redacted_url(settings.store.server_url) or None,
         f"server:    {server}{' [work offline]' if settings.store.work_offline else ''}")
    show("work_offline", settings.store.work_offline, None)
    if settings.store.server_url:
        show("tls", _tls_description(settings.store), f"tls:       {_tls_description(settings.store)}")
    show("town_key", _town_fingerprint(paths), f"town key:  {_town_fingerprint(paths)}")
    refused = _refused_accounts(paths)
    show("refused_accounts", refused, f"refused:   {refused} account record(s) from the server, not signed by the "
         "town key (see the audit log)" if refused else None)
    _require_writable(paths.database_file)
    return finish(0)


def _refused_accounts(paths: object) -> int:
    file = paths.database_file  # type: ignore[attr-defined]
    if not file.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
            row = conn.execute("SELECT count(*) FROM sync_state WHERE name LIKE 'refused:clerks:%'").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0])


def _town_fingerprint(paths: object) -> str:
    """The pinned town key's fingerprint: what an administrator compares when joining another desk."""
    from dxdesk.security.townkey import fingerprint

    file = paths.database_file  # type: ignore[attr-defined]
    if not file.exists():
        return "(none yet)"
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
            row = conn.execute("SELECT value FROM town_trust WHERE name = 'public_key'").fetchone()
    except sqlite3.Error:
        return "(none yet)"
    return fingerprint(row[0]) if row else "(none yet: created with the first administrator)"


def _require_writable(path: Path) -> None:
    """Status reads fine from a read-only file; say so anyway, as the app could record nothing there."""
    from dxdesk.store.errors import DatabaseReadOnlyError, DataFolderReadOnlyError

    # os.access asks the kernel, so it also sees what mode bits do not show (an immutable file, a read-only mount).
    if path.parent.exists() and not os.access(path.parent, os.W_OK):
        raise DataFolderReadOnlyError()
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseReadOnlyError()


def _upgrade(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    sign_in = _signer(args, "upgrading the database")
    paths = app_paths()
    with user_errors():
        before, after, copy = maintenance.upgrade(load_settings(paths), paths, sign_in)
    if copy:
        print(f"backup of the previous database: {copy}")
    print(f"schema at {after} (head)" + (f", was {before}" if before and before != after else ""))
    return 0


def _backup(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    sign_in = _signer(args, "backing up the database")
    paths = app_paths()
    with user_errors():
        result = maintenance.backup(load_settings(paths), paths, sign_in, args.out, force=args.force)
    print(f"backup written: {result.path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    sign_in = _signer(args, "restoring the database")
    paths = app_paths().ensure()
    recovered = None
    if getattr(args, "recovery_sheet", None):
        from dxdesk.store.recoverycli import install_from_backup

        # A new PC after a lost one: the backup's keys first (this PC takes over the lost desk's id).
        recovered = install_from_backup(args.source, args.recovery_sheet)
    with user_errors():
        result = maintenance.restore(load_settings(paths), paths, sign_in, args.source, _confirmer(args))
    if result.kept:
        print(f"previous database kept at {result.kept}")
    print(f"restored {args.source} -> {paths.database_file} (audit log: desk head seq {result.plan.from_seq} -> "
          f"{result.plan.to_seq}, recorded as db.restore)")
    if recovered is not None:
        from dxdesk.store.recoverycli import audit_restore

        audit_restore(recovered)
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    sign_in = _signer(args, "rotating the key")
    paths = app_paths()
    with user_errors():
        changed = maintenance.rotate_key(load_settings(paths), paths, sign_in, _confirmer(args))
    print(f"key rotated; {changed} record(s) re-encrypted. Backups made before now stay readable: the old key "
          "is kept wrapped with the town recovery key (db restore --recovery-sheet), or, without one, in the "
          "key store.")
    return 0


def _set_server(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    sign_in = _signer(args, "setting the server")
    paths = app_paths()
    url = args.url.strip()
    if url and not (args.ca_file or args.pin_sha256 or args.insecure_no_tls):
        raise UserError("choose how to trust the server: --ca-file PEM (the town's CA), --pin-sha256 HEX (the "
                        "server's own certificate), or for a lab only --insecure-no-tls")

    def ask() -> str:
        return getpass.getpass("server password: ")

    def tls() -> tuple[str, str, str]:  # after the administrator signed in: it writes the trusted certificate
        from dxdesk.store.server import parse_server_url

        return _server_tls(args, parse_server_url(url), paths)

    with user_errors():
        where, store = maintenance.set_server(load_settings(paths), paths, sign_in, url,
                                              None if args.no_password else ask, tls)
    if where:
        print("password stored in the OS keyring" if where == "keyring"
              else "no OS keyring: password stored in an owner-only file")
    print(f"server: {url or '(none: local only)'}")
    if url:
        print(f"TLS:    {_tls_description(store)}")
    return 0


def _server_tls(args: argparse.Namespace, parsed: URL, paths: AppPaths) -> tuple[str, str, str]:
    """(server_tls, server_ca_file, server_cert_sha256) from set-server's options; files go to the config dir."""
    from dxdesk.store import servertls as t

    config_dir = paths.ensure().config_dir
    if args.insecure_no_tls:
        print("WARNING: no TLS. Passwords and records cross the network readable and anyone on it can pose as "
              "the server. For a lab only.", file=sys.stderr)
        return t.INSECURE, "", ""
    if args.ca_file is not None:
        der = t.load_pem_certificate(args.ca_file)  # refuses a file that is not a certificate
        target = config_dir / "server-ca.pem"
        _write_owner_only(target, args.ca_file.read_text(encoding="ascii", errors="replace"))
        print(f"town CA stored: {target} (SHA-256 {t.certificate_sha256(der)})")
        return t.VERIFY_FULL, str(target), ""
    if args.pin_sha256:
        host, port = parsed.host or parsed.query.get("host"), parsed.port or 5432
        der = t.fetch_server_certificate(str(host), int(port))
        actual, wanted = t.certificate_sha256(der), t.normalize_fingerprint(args.pin_sha256)
        if actual != wanted:
            raise UserError(f"the server at {host}:{port} presents a certificate with SHA-256 {actual}, "
                            f"not {wanted}: nothing was changed (check the fingerprint with the server's administrator)")
        target = config_dir / "server-cert.pem"
        _write_owner_only(target, t.der_to_pem(der))
        print(f"server certificate pinned: {target}")
        return t.PINNED, str(target), actual
    raise UserError("choose how to trust the server: --ca-file PEM (the town's CA), --pin-sha256 HEX (the server's "
                    "own certificate), or for a lab only --insecure-no-tls")


def _write_owner_only(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="ascii")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _tls_description(store: StoreSettings) -> str:
    if store.server_tls == "insecure-no-tls":
        return "NONE (insecure-no-tls: lab only)"
    if store.server_tls == "pinned":
        return f"pinned server certificate (SHA-256 {store.server_cert_sha256})"
    if not store.server_ca_file:
        return "not configured: the desk will not connect (dxdesk db set-server URL --ca-file PEM)"
    return f"verify-full against {store.server_ca_file}"


def _join(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from dxdesk.security.auth import AuthError
    from dxdesk.security.join import MSG_NOT_CONFIRMED, DeskJoin
    from dxdesk.store.errors import StoreError

    paths = app_paths()
    settings = load_settings(paths)
    server_pw = None
    if not args.no_password:
        server_pw = getpass.getpass("server password: ")
        if not server_pw:
            raise UserError("empty server password; use --no-password if the server needs none")
    if args.password_stdin:
        admin_pw = sys.stdin.readline().rstrip("\n")
    else:
        admin_pw = getpass.getpass(f"Password for {args.as_login} (a town administrator): ")
    from dxdesk.store.server import ServerConfigError, parse_server_url
    from dxdesk.store.servertls import ServerTLS

    try:
        parsed = parse_server_url(args.url)
    except ServerConfigError as exc:
        raise UserError(str(exc)) from None
    tls = ServerTLS(*_server_tls(args, parsed, paths))  # TLS required, as for set-server
    from dxdesk.app.maintenance import sole_user
    from dxdesk.i18n import Msg
    from dxdesk.store.database import open_database

    with sole_user(paths.ensure().database_file, Msg("サーバーに参加してください", "joining a server")):
        db = open_database(settings, paths)
        try:
            joining = DeskJoin(db, settings, paths)
            try:
                town = joining.check(args.url, server_pw, args.as_login, admin_pw, tls)
            except AuthError as exc:
                raise UserError(exc.message.en) from None
            except StoreError as exc:
                raise UserError(str(exc)) from None
            except DBAPIError as exc:
                raise UserError(f"cannot use the server: {str(exc.orig).splitlines()[0]}") from None
            print(f"town key fingerprint: {town.fingerprint}")
            if not _fingerprint_confirmed(town.fingerprint, args.fingerprint):
                raise UserError(MSG_NOT_CONFIRMED.en)
            report, result, error = joining.complete(town)
        finally:
            db.close()
    _record_join_as_set_server(args.as_login, args.url, str(tls.mode))
    for old, new in report.renamed:
        print(f"this desk's account {old} is now {new} (deactivated): the town's {old} is the one that signs in")
    if report.signed:
        print(f"this desk's accounts signed into the town: {', '.join(report.signed)}")
    if error is not None or result is None:
        print(f"joined {joining.host}; the first sync failed and will be retried: {error}", file=sys.stderr)
        return 0
    print(f"joined {joining.host} as a desk of the town (sent {result.sent}, pulled {result.pulled}, "
          f"still waiting {result.pending})")
    return 0


def _record_join_as_set_server(login: str, url: str, tls_mode: str) -> None:
    """Joining points the desk at a server: recorded as the administrator's db.set_server (TLS choice included).

    The routine ``dxdesk sync`` only follows a server an audited set-server (or join) chose.
    """
    from sqlalchemy import select

    from dxdesk.app.maintenance import server_fingerprint
    from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
    from dxdesk.store.database import open_database
    from dxdesk.store.models import Clerk

    db = open_database()
    try:
        with db.session() as orm:
            actor = orm.scalar(select(Clerk.id).where(Clerk.login == login))
        AuditLog(db).append(AuditEntry(EventType.DB_SET_SERVER, actor, Result.SUCCESS, details={
            "server_sha256": server_fingerprint(url), "cleared": False, "tls": tls_mode, "via": "db join"}))
    finally:
        db.close()


def _fingerprint_confirmed(shown: str, expected: str | None) -> bool:
    """The administrator compares the fingerprint with another desk's `dxdesk db status`."""
    if expected:
        if expected.strip().upper() != shown:
            print("the fingerprint differs from --fingerprint: this is not your town's server", file=sys.stderr)
            return False
        return True
    if not sys.stdin.isatty():
        print("compare it with `dxdesk db status` on a desk of the town, then run again with --fingerprint FP",
              file=sys.stderr)
        return False
    return input("Is it the same as on the town's other desks? [y/N] ").strip().lower() in ("y", "yes")


def _work_offline(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    sign_in = _signer(args, "switching work offline")
    paths = app_paths()
    with user_errors():
        maintenance.work_offline(load_settings(paths), paths, sign_in, args.state == "on")
    print(f"work offline: {args.state}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.security.cli import user_errors

    # No --as: the desk's routine sync to the server an administrator set (recorded as the desk).
    sign_in = _signer(args, "sync") if args.as_login else None
    paths = app_paths()
    with user_errors():
        result = maintenance.sync(load_settings(paths), paths, sign_in,
                                  retry_set_aside=getattr(args, "retry_set_aside", False))
    print(f"sent {result.sent}, pulled {result.pulled}, still waiting {result.pending}")
    if result.refused:
        print(f"refused {result.refused} account record(s) from the server: not signed by the town key "
              "(see the audit log)", file=sys.stderr)
    if result.set_aside:
        print(f"set aside (refused by the server): {result.set_aside} record(s); see `dxdesk db status`, "
              "fix the cause, then `dxdesk sync --retry-set-aside`")
        return 1
    return 0
