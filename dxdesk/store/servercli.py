"""``dxdesk db set-server`` and ``dxdesk db join``: pointing the desk at the town's server, with its TLS trust."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dxdesk.cli import UserError
from dxdesk.clisession import read_password
from dxdesk.config import load_settings
from dxdesk.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from dxdesk.config import StoreSettings


def set_server(args: argparse.Namespace) -> int:
    from dxdesk.app import maintenance
    from dxdesk.clisession import signer, user_errors

    sign_in = signer(args, "setting the server")
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
        print(f"TLS:    {tls_description(store)}")
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


def tls_description(store: StoreSettings) -> str:
    if store.server_tls == "insecure-no-tls":
        return "NONE (insecure-no-tls: lab only)"
    if store.server_tls == "pinned":
        return f"pinned server certificate (SHA-256 {store.server_cert_sha256})"
    if not store.server_ca_file:
        return "not configured: the desk will not connect (dxdesk db set-server URL --ca-file PEM)"
    return f"verify-full against {store.server_ca_file}"


def join(args: argparse.Namespace) -> int:
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
    admin_pw = read_password(args.as_login, from_stdin=args.password_stdin,
                             prompt=f"Password for {args.as_login} (a town administrator): ")
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


