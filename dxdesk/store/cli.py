"""``dxdesk db ...`` and ``dxdesk sync``: the parsers, and the maintenance commands (upgrade, backup, restore,
rotate-key, work-offline, sync) that call :mod:`dxdesk.app.maintenance`.

Split by job: ``db status`` in :mod:`dxdesk.store.statuscli`, the server (set-server, join) in
:mod:`dxdesk.store.servercli`, the town recovery key in :mod:`dxdesk.store.recoverycli`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dxdesk.clisession import add_as, confirmer, signer, user_errors
from dxdesk.config import load_settings
from dxdesk.jsonout import add_json_flag
from dxdesk.paths import app_paths
from dxdesk.store.servercli import join, set_server
from dxdesk.store.statuscli import status as _status


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
    p.set_defaults(func=set_server)
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
    p.set_defaults(func=join)
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
    add_as(p, password_stdin=True)
    if confirm:
        p.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")


def _upgrade(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance

    sign_in = signer(args, "upgrading the database")
    paths = app_paths()
    with user_errors():
        before, after, copy = maintenance.upgrade(load_settings(paths), paths, sign_in)
    if copy:
        print(f"backup of the previous database: {copy}")
    print(f"schema at {after} (head)" + (f", was {before}" if before and before != after else ""))
    return 0


def _backup(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance

    sign_in = signer(args, "backing up the database")
    paths = app_paths()
    with user_errors():
        result = maintenance.backup(load_settings(paths), paths, sign_in, args.out, force=args.force)
    print(f"backup written: {result.path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance

    sign_in = signer(args, "restoring the database")
    paths = app_paths().ensure()
    recovered = None
    if getattr(args, "recovery_sheet", None):
        from dxdesk.store.recoverycli import install_from_backup

        # A new PC after a lost one: the backup's keys first (this PC takes over the lost desk's id).
        recovered = install_from_backup(args.source, args.recovery_sheet)
    with user_errors():
        result = maintenance.restore(load_settings(paths), paths, sign_in, args.source, confirmer(args))
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

    sign_in = signer(args, "rotating the key")
    paths = app_paths()
    with user_errors():
        changed = maintenance.rotate_key(load_settings(paths), paths, sign_in, confirmer(args))
    print(f"key rotated; {changed} record(s) re-encrypted. Backups made before now stay readable: the old key "
          "is kept wrapped with the town recovery key (db restore --recovery-sheet), or, without one, in the "
          "key store.")
    return 0



def _work_offline(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance

    sign_in = signer(args, "switching work offline")
    paths = app_paths()
    with user_errors():
        maintenance.work_offline(load_settings(paths), paths, sign_in, args.state == "on")
    print(f"work offline: {args.state}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance

    # No --as: the desk's routine sync to the server an administrator set (recorded as the desk).
    sign_in = signer(args, "sync") if args.as_login else None
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
