"""``dxdesk db recovery-setup``, ``db restore --recovery-sheet``, ``db read-lost-desk``: the town recovery key.

The recovery secret is never taken from the command line (argv is visible to every
local user): ``--recovery-sheet FILE`` reads the USB file, ``--recovery-sheet -`` reads
what is typed (or piped) on standard input.
"""
from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from dxdesk.cli import UserError
from dxdesk.clisession import add_as
from dxdesk.config import load_settings, save_settings
from dxdesk.paths import app_paths


def register_recovery(dbsub: Any) -> None:
    p = dbsub.add_parser(
        "recovery-setup", help="create the town recovery key once (private half to a USB file and/or a PDF sheet)",
        description="Creates the town's recovery key pair. The public half is shared with every desk through the "
                    "server; each desk then keeps its keys also wrapped with it. The private half is written ONLY "
                    "to --out (a USB stick) and/or --sheet (a PDF to print), never to this PC's data folder.")
    p.add_argument("--out", type=Path, help="secret file to create (put it on a USB stick kept in the safe)")
    p.add_argument("--sheet", type=Path, help="recovery sheet PDF to create and print")
    add_as(p, password_stdin=True)
    p.set_defaults(func=_setup)
    p = dbsub.add_parser(
        "recovery-accept", help="confirm the town recovery key this desk received (first or changed) by typing "
                                "the key fingerprint from the recovery sheet")
    p.add_argument("fingerprint", help="the key fingerprint as printed on the recovery sheet, 16 hex digits, e.g. "
                                       "3f2a-91c0-5b7e-0d14 (dashes, spaces and case do not matter; refused unless it "
                                       "is that of the key this desk received)")
    add_as(p, password_stdin=True)
    p.set_defaults(func=_accept)
    p = dbsub.add_parser(
        "read-lost-desk", help="with the recovery secret, export a lost desk's records from the server (decrypted)")
    p.add_argument("desk_id", help="the lost desk's id (see the server, or the desk's settings)")
    p.add_argument("--recovery-sheet", required=True, metavar="FILE|-", help="secret file, or - to type it")
    p.add_argument("--out", type=Path, required=True, help="new folder for visits.csv and support_sessions.csv")
    add_as(p, password_stdin=True)
    p.set_defaults(func=_read_lost_desk)


def _open_signed(args: argparse.Namespace, what: str) -> tuple[Any, Any]:
    """The desk database and the administrator's session on it (--as LOGIN)."""
    from dxdesk.app.maintenancesteps import authorise
    from dxdesk.clisession import signer, user_errors
    from dxdesk.security.permissions import Permission
    from dxdesk.store.database import open_database

    sign_in = signer(args, what)
    paths = app_paths()
    settings = load_settings(paths)
    with user_errors():
        db = open_database(settings, paths)
        try:
            _audit_log, session = authorise(db, settings, sign_in, Permission.MANAGE_KEYS)
        except BaseException:
            db.close()
            raise
    return db, session


def _audit(db: Any, event_type: str, details: dict[str, Any], actor: str | None = None) -> None:
    """Record a recovery-key operation in this desk's audit log (who signed in, and the OS user; no secret)."""
    from dxdesk.security.audit import AuditEntry, AuditLog

    AuditLog(db).append(AuditEntry(event_type=event_type, actor=actor,
                                   details={**details, "os_user": getpass.getuser()}))


def read_secret(source: str) -> Any:
    """The recovery secret from a file or (``-``) standard input, checked against its check code."""
    from dxdesk.security.recoverykey import RecoveryKeyError, RecoverySecret

    if source == "-":
        if sys.stdin.isatty():
            text = getpass.getpass("recovery secret (as on the sheet, then the check code): ")
        else:
            text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read the recovery file {source}: {exc.strerror}") from None
    try:
        return RecoverySecret.parse(text)
    except RecoveryKeyError as exc:
        raise UserError(str(exc)) from None


def _setup(args: argparse.Namespace) -> int:
    from dxdesk.app.recovery import RecoveryKeys
    from dxdesk.security.audit import AuditLog
    from dxdesk.clisession import user_errors

    if args.out is None and args.sheet is None:
        raise UserError("give --out FILE (USB) and/or --sheet PDF: the secret is written nowhere else")
    db, session = _open_signed(args, "setting up the town recovery key")
    try:
        with user_errors():
            done = RecoveryKeys(db, AuditLog(db), load_settings(app_paths()).general.municipality).set_up(
                session, args.out, args.sheet)
    finally:
        db.close()
    if args.out is not None:
        print(f"recovery secret written: {args.out} (keep it in the safe; it is not stored on this PC)")
    if args.sheet is not None:
        print(f"recovery sheet written: {args.sheet} (print it, keep it in the safe, then delete the file)")
    print(f"town recovery key {done.fingerprint} set up (check code {done.check_code}); this desk's keys wrapped "
          f"({done.wrapped}); each other desk uses it once an administrator there confirms this fingerprint "
          "(dxdesk db recovery-accept)")
    return 0


def _accept(args: argparse.Namespace) -> int:
    from dxdesk.app.recovery import RecoveryKeys
    from dxdesk.clisession import user_errors
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.recoverykey import typed_fingerprint

    db, session = _open_signed(args, "accepting a town recovery key")
    try:
        with user_errors():
            added = RecoveryKeys(db, AuditLog(db)).accept(session, args.fingerprint)
    finally:
        db.close()
    print(f"town recovery key {typed_fingerprint(args.fingerprint)} accepted on this desk; keys wrapped with it: "
          f"{added}")
    return 0


def install_from_backup(source: Path, sheet: str) -> str:
    """Before ``db restore IN --recovery-sheet``: recover the backup's keys into this PC's key store.

    This PC takes over the lost desk's identity (its desk id), so its records, audit chain
    and ownership of its records carry on. Returns the desk id.
    """
    from dxdesk.security.recoverykey import RecoveryKeyError
    from dxdesk.store.backup import validate_dxdesk_file
    from dxdesk.store.errors import StoreError
    from dxdesk.store.escrow import install_keys, recover_keys, rows_from_backup

    try:
        validate_dxdesk_file(source)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    secret = read_secret(sheet)
    try:
        desk_id, keyset, audit_key = recover_keys(rows_from_backup(source), secret)
        install_keys(desk_id, keyset, audit_key)
    except (RecoveryKeyError, StoreError) as exc:
        raise UserError(str(exc)) from None
    paths = app_paths()
    settings = load_settings(paths)
    if settings.general.desk_id != desk_id:
        settings.general.desk_id = desk_id
        save_settings(settings, paths)
    print(f"keys of desk {desk_id} recovered with the town recovery key; this PC now continues that desk")
    return desk_id


def audit_restore(desk_id: str) -> None:
    """After the restored database is in place: note the recovery in its own audit chain."""
    from dxdesk.store.database import open_database

    db = open_database()  # db.restore already recorded the administrator; this notes the key recovery
    try:
        _audit(db, "key.recovery_restore", {"desk": desk_id})
    finally:
        db.close()


def _read_lost_desk(args: argparse.Namespace) -> int:
    from dxdesk.security.recoverykey import RecoveryKeyError
    from dxdesk.store.errors import StoreError
    from dxdesk.store.escrow import read_desk_from_server
    from dxdesk.store.server import create_server_engine, server_password
    from dxdesk.store.servertls import ServerTLS

    db, actor = _open_signed(args, "reading a lost desk's records")  # first: who asks, before anything else
    db.close()
    paths = app_paths()
    settings = load_settings(paths)
    if not settings.store.server_url:
        raise UserError("no server configured (dxdesk db set-server URL)")
    if args.out.exists():
        raise UserError(f"{args.out} already exists; choose a new folder")
    secret = read_secret(args.recovery_sheet)
    server = create_server_engine(settings.store.server_url, server_password(paths),
                                  ServerTLS.from_settings(settings.store))
    try:
        found = read_desk_from_server(server, args.desk_id, secret)
    except (RecoveryKeyError, StoreError) as exc:
        raise UserError(str(exc)) from None
    finally:
        server.dispose()
    from dxdesk.store.database import open_database

    db = open_database()
    try:  # decrypting another desk's personal data is audited on this desk before anything is written
        _audit(db, "data.recovery_read", {"desk": args.desk_id, "rows": {k: len(v) for k, v in found.items()}},
               actor.clerk_id)
    finally:
        db.close()
    args.out.mkdir(mode=0o700, parents=True)
    for name, rows in found.items():
        fd = os.open(args.out / f"{name}.csv", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            if rows:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        print(f"{name}: {len(rows)} record(s) -> {args.out / (name + '.csv')}")
    return 0
