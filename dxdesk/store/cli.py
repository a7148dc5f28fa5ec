"""``dxdesk db ...`` and ``dxdesk sync`` subcommands."""
from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dxdesk.cli import UserError
from dxdesk.config import load_settings, save_settings
from dxdesk.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from dxdesk.config import StoreSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="local database: status, upgrade, backup, restore, keys, server")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = dbsub.add_parser("status", help="show schema revision (current vs head), pending sync and key storage")
    p.set_defaults(func=_status)
    p = dbsub.add_parser("upgrade", help="migrate the database schema to the newest revision (backup first)")
    p.set_defaults(func=_upgrade)
    p = dbsub.add_parser("backup", help="write a consistent copy of the database to OUT")
    p.add_argument("out", type=Path)
    p.set_defaults(func=_backup)
    p = dbsub.add_parser("restore", help="replace the database with IN (the current file is kept in backups/)")
    p.add_argument("source", type=Path, metavar="IN")
    p.set_defaults(func=_restore)
    p = dbsub.add_parser("rotate-key", help="re-encrypt personal fields under a new key")
    p.set_defaults(func=_rotate_key)
    p = dbsub.add_parser("set-server", help="configure the central PostgreSQL (password asked, kept in keyring)")
    p.add_argument("url", help="e.g. postgresql://dxdesk@server.example/dxdesk ('' to disable)")
    p.add_argument("--no-password", action="store_true", help="server needs no password (e.g. certificate auth)")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", type=Path, metavar="PEM",
                     help="the town's CA certificate: TLS with full verification (sslmode=verify-full)")
    tls.add_argument("--pin-sha256", metavar="HEX",
                     help="pin the server's own certificate by its SHA-256 fingerprint (self-signed servers)")
    tls.add_argument("--insecure-no-tls", action="store_true",
                     help="LAB ONLY: plaintext, server not authenticated (recorded in the audit log)")
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
    p = dbsub.add_parser("work-offline", help="switch offline mode on or off (the status bar switch)")
    p.add_argument("state", choices=("on", "off"))
    p.set_defaults(func=_work_offline)

    s = subparsers.add_parser("sync", help="send waiting records to the central server and pull shared data, once")
    s.set_defaults(func=_sync)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _open(exclusive: bool = False):  # type: ignore[no-untyped-def]
    """The desk database; ``exclusive`` also takes the instance lock (refused while the app runs)."""
    from dxdesk.store.database import open_database
    from dxdesk.store.errors import StoreError

    try:
        return open_database(exclusive=exclusive)
    except StoreError as exc:
        raise UserError(str(exc)) from None


@contextmanager
def _sole_user(path: Path, doing: str) -> Iterator[None]:
    """Hold the instance lock for ``path`` and make sure nobody else has the file open.

    The lock keeps a dxdesk from *starting* meanwhile (it would open the file being
    replaced or re-keyed); the journal-mode check below also catches an opener that
    does not take the lock (an older dxdesk, another ``dxdesk`` command).
    """
    from dxdesk.store.errors import DatabaseInUseError, StoreError
    from dxdesk.store.instancelock import InstanceLock

    try:
        lock = InstanceLock.acquire(path)
    except DatabaseInUseError:
        raise UserError(f"the database is in use (dxdesk is running on it); close it before {doing}") from None
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        if path.exists():
            _require_no_other_user(path, doing)
        yield
    finally:
        lock.release()


def _status(args: argparse.Namespace) -> int:
    from dxdesk.store import migrate
    from dxdesk.store.database import create_sqlite_engine
    from dxdesk.store.keys import key_storage_description

    paths = app_paths()
    settings = load_settings(paths)
    head = migrate.head_revision()
    print(f"database:  {paths.database_file}")
    if not paths.database_file.exists():
        print(f"schema:    (no database yet) -> head {head}")
    else:
        engine = create_sqlite_engine(paths.database_file)
        try:
            current = migrate.current_revision(engine)
            with engine.connect() as conn:
                pending = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").scalar() \
                    if current else 0
        except Exception as exc:
            from dxdesk.store.errors import translate_error
            raise UserError(str(translate_error(exc))) from None
        finally:
            engine.dispose()
        state = "up to date" if current == head else "upgrade needed (dxdesk db upgrade)"
        print(f"schema:    current {current or '(empty)'}, head {head}: {state}")
        print(f"unsent:    {pending} record(s)")
    print(f"key:       {key_storage_description(paths, settings.general.desk_id)}")
    from dxdesk.store.servertls import redacted_url

    server = redacted_url(settings.store.server_url) or "(none: local only)"  # an old file may hold ?password=
    print(f"server:    {server}{' [work offline]' if settings.store.work_offline else ''}")
    if settings.store.server_url:
        print(f"tls:       {_tls_description(settings.store)}")
    print(f"town key:  {_town_fingerprint(paths)}")
    refused = _refused_accounts(paths)
    if refused:
        print(f"refused:   {refused} account record(s) from the server, not signed by the town key (see the audit log)")
    return 0


def _refused_accounts(paths: object) -> int:
    file = paths.database_file  # type: ignore[attr-defined]
    if not file.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as conn:
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
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM town_trust WHERE name = 'public_key'").fetchone()
    except sqlite3.Error:
        return "(none yet)"
    return fingerprint(row[0]) if row else "(none yet: created with the first administrator)"


def _upgrade(args: argparse.Namespace) -> int:
    from dxdesk.store import migrate

    db = _open(exclusive=True)  # never migrate the schema under a running app
    try:
        if db.migration_backup:
            print(f"backup of the previous database: {db.migration_backup}")
        print(f"schema at {migrate.current_revision(db.engine)} (head)")
    finally:
        db.close()
    return 0


def _backup(args: argparse.Namespace) -> int:
    from dxdesk.store.backup import backup_sqlite

    src = app_paths().database_file
    if not src.exists():
        raise UserError(f"no database at {src}")
    out: Path = args.out
    if out.is_dir():
        from dxdesk.store.backup import timestamped_backup_name
        out = out / timestamped_backup_name("backup")
    if out.exists():
        raise UserError(f"{out} already exists; choose another name")
    try:
        backup_sqlite(src, out)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"backup failed: {exc}") from None
    print(f"backup written: {out}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from dxdesk.store.backup import restore_sqlite
    from dxdesk.store.errors import StoreError

    paths = app_paths().ensure()
    target = paths.database_file
    with _sole_user(target, "restoring"):
        try:
            kept = restore_sqlite(args.source, target, paths.backup_dir)
        except StoreError as exc:
            raise UserError(str(exc)) from None
        if kept:
            print(f"previous database kept at {kept}")
        print(f"restored {args.source} -> {target}")
        db = _open()  # migrates an older backup forward right away (own backup first), still under our lock
        db.close()
    return 0


def _require_no_other_user(path: Path, doing: str) -> None:
    """UserError when another connection (a running dxdesk, even an idle one) has the database open.

    BEGIN EXCLUSIVE alone only catches a transaction in progress: in WAL mode an idle
    connection holds no lock that blocks it. Leaving WAL mode needs every other
    connection closed, so that switch (undone at once) is the real test.
    """
    in_use = UserError(f"the database is in use (is dxdesk running?); close it before {doing}")
    conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        raise in_use from None
    finally:
        conn.close()


def _rotate_key(args: argparse.Namespace) -> int:
    from dxdesk.store.errors import StoreError
    from dxdesk.store.rotate import rotate_key

    # A running dxdesk keeps writing with the keys it loaded at start; once the old key is
    # dropped here, whatever it wrote after the rotation could never be decrypted again.
    with _sole_user(app_paths().ensure().database_file, "rotating the key"):
        db = _open()  # under our lock already: a second, exclusive open would refuse itself
        try:
            changed = rotate_key(db)
        except StoreError as exc:
            raise UserError(str(exc)) from None
        finally:
            db.close()
    print(f"key rotated; {changed} record(s) re-encrypted. Backups made before now need the retired key "
          "and can no longer show personal fields.")
    return 0


def _set_server(args: argparse.Namespace) -> int:
    from dxdesk.store.server import ServerConfigError, parse_server_url, store_server_password

    paths = app_paths()
    settings = load_settings(paths)
    url = args.url.strip()
    if url:
        try:
            parsed = parse_server_url(url)
            tls = _server_tls(args, parsed, paths)
        except ServerConfigError as exc:
            raise UserError(str(exc)) from None
        if not args.no_password:
            password = getpass.getpass("server password: ")
            if not password:
                raise UserError("empty password; use --no-password if the server needs none")
            where = store_server_password(password, paths)
            print("password stored in the OS keyring" if where == "keyring"
                  else "no OS keyring: password stored in an owner-only file")
        settings.store.server_tls, settings.store.server_ca_file, settings.store.server_cert_sha256 = tls
    settings.store.server_url = url
    save_settings(settings, paths)
    if url and settings.store.server_tls == "insecure-no-tls":
        _record_insecure_opt_out(url)
    print(f"server: {url or '(none: local only)'}")
    if url:
        print(f"TLS:    {_tls_description(settings.store)}")
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


def _record_insecure_opt_out(url: str) -> None:
    """The plaintext opt-out is an audit event (the desk as actor until set-server signs someone in)."""
    from sqlalchemy.engine import make_url

    from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result

    db = _open()
    try:
        AuditLog(db).append(AuditEntry(EventType.SETTINGS_CHANGE, None, Result.SUCCESS, details={
            "setting": "store.server_tls", "value": "insecure-no-tls", "server_host": str(make_url(url).host)}))
    finally:
        db.close()


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
    with _sole_user(paths.ensure().database_file, "joining a server"):
        db = _open()
        try:
            joining = DeskJoin(db, settings, paths)
            try:
                town = joining.check(args.url, server_pw, args.as_login, admin_pw, tls)
            except AuthError as exc:
                raise UserError(exc.msg.en) from None
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
    if tls.mode == "insecure-no-tls":
        _record_insecure_opt_out(args.url)
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
    paths = app_paths()
    settings = load_settings(paths)
    settings.store.work_offline = args.state == "on"
    save_settings(settings, paths)
    print(f"work offline: {args.state}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from dxdesk.store.errors import StoreError
    from dxdesk.store.server import server_password
    from dxdesk.store.sync import SyncEngine

    paths = app_paths()
    settings = load_settings(paths)
    if not settings.store.server_url:
        raise UserError("no server configured (dxdesk db set-server URL)")
    if settings.store.work_offline:
        raise UserError("work offline is on (dxdesk db work-offline off)")
    # Not exclusive: an admin may push waiting records while the app runs (the upserts are
    # idempotent, so the app's own sync sending the same rows again does no harm).
    db = _open()
    try:
        engine = SyncEngine(db, settings.store, password_lookup=lambda: server_password(paths))
        result = engine.run_once()
    except StoreError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()
    print(f"sent {result.sent}, pulled {result.pulled}, still waiting {result.pending}")
    if result.refused:
        print(f"refused {result.refused} account record(s) from the server: not signed by the town key "
              "(see the audit log)", file=sys.stderr)
    return 0
